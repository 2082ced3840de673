package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.work":           "go 1.25.0\n\nuse ./m\n",
		"m/go.mod":          "module example.test/m\n\ngo 1.25.0\n",
		"m/example_test.go": "package m_test\n\nimport \"fmt\"\n\nfunc Example() {\n\tx := 1\n\tfmt.Println(x)\n\t// Output: 1\n}\n",
		"m/README.md":       "# m\n\n```go\nimport \"fmt\"\n\n  x := 1\nfmt.Println(x)\n```\n\n```go\ny := 2\n```\n",
		"m/doc.go":          "// Package m.\n//\n//\tx := 1\n//\n//\tfmt.Println(x)\n//\n// A drawing, not Go:\n//\n//\t[a] -> [b]\npackage m\n",
		"README.md":         "```go\nfmt.Println(x)\n```\n",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := check(root)
	if err != nil {
		t.Fatal(err)
	}
	// Only the README's second block ("y := 2") is in no example.
	if len(got) != 1 || !strings.Contains(got[0], `first line "y := 2"`) {
		t.Errorf("problems %q", got)
	}
}
