package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root, name, text string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const prefix = "github.com/sessionguard/sessionguard/"

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, gin string
		tags      map[string]bool
		want      []string // substrings, one per problem
	}{
		{"agree", "require (\n\t" + prefix + "core v0.0.0\n\tx.test/jwx v1.2.0\n)\nreplace " + prefix + "core => ../core\n", nil, nil},
		{"dependency versions differ", "require (\n\t" + prefix + "core v0.0.0\n\tx.test/jwx v1.1.0 // indirect\n)\nreplace " + prefix + "core => ../core\n", nil,
			[]string{"x.test/jwx is required at different versions: v1.1.0 (gin); v1.2.0 (core)"}},
		{"untagged core version", "require (\n\t" + prefix + "core v0.1.0\n\tx.test/jwx v1.2.0\n)\nreplace " + prefix + "core => ../core\n", nil,
			[]string{"tag core/v0.1.0 is missing"}},
		{"tagged core version", "require (\n\t" + prefix + "core v0.1.0\n\tx.test/jwx v1.2.0\n)\nreplace " + prefix + "core => ../core\n", map[string]bool{"core/v0.1.0": true}, nil},
		{"no replace", "require (\n\t" + prefix + "core v0.0.0\n\tx.test/jwx v1.2.0\n)\n", nil,
			[]string{"without \"replace " + prefix + "core => ../core\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, "go.work", "go 1.25.0\n\nuse (\n\t./core\n\t./gin\n)\n")
			write(t, root, "core/go.mod", "module "+prefix+"core\n\ngo 1.25.0\n\nrequire x.test/jwx v1.2.0\n")
			write(t, root, "gin/go.mod", "module "+prefix+"gin\n\ngo 1.25.0\n\n"+tc.gin)
			got, err := check(root, tc.tags)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not say %q", got[i], w)
				}
			}
		})
	}
}
