module github.com/sessionguard/sessionguard/issuer

go 1.25.0

require github.com/sessionguard/sessionguard/core v0.0.0

replace github.com/sessionguard/sessionguard/core => ../core
