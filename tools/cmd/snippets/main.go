// Command snippets fails when a Go snippet shown to users is not backed by
// compiled, tested code. It reads every ```go block of the READMEs (the
// root's and each module's) and every indented code block of the doc.go
// files that contains Go (a ":=", "func " or "import"), and looks for its
// lines, in order and contiguous, in the module's _test.go files (the root
// README: in any module's). Lines are compared with surrounding white space
// removed and blank lines ignored, so a snippet can be indented differently
// from the example it is taken from. Import declarations are left out of the
// comparison (a snippet shows the imports the example's file has in its own
// block). See CONTRIBUTING.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

func main() {
	root := flag.String("root", ".", "the repository root (the directory of go.work)")
	flag.Parse()
	problems, err := check(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snippets:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// snippet is one code block and where it was found.
type snippet struct {
	file  string
	line  int
	lines []string // normalised
}

func check(root string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, err
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, err
	}
	var all [][]string // every module's test files, normalised
	var problems []string
	report := func(s snippet) {
		problems = append(problems, fmt.Sprintf("%s:%d: Go snippet not found in a _test.go file (first line %q)", s.file, s.line, s.lines[0]))
	}
	type pending struct {
		snips []snippet
		tests [][]string
	}
	var mods []pending
	for _, u := range wf.Use {
		dir := filepath.Join(root, filepath.Clean(u.Path))
		tests, err := testFiles(dir)
		if err != nil {
			return nil, err
		}
		all = append(all, tests...)
		var snips []snippet
		if s, err := markdown(dir, "README.md"); err == nil {
			snips = append(snips, s...)
		} else if !os.IsNotExist(err) {
			return nil, err
		}
		docs, _ := filepath.Glob(filepath.Join(dir, "*", "doc.go"))
		if top := filepath.Join(dir, "doc.go"); exists(top) {
			docs = append(docs, top)
		}
		sort.Strings(docs)
		for _, d := range docs {
			s, err := docComment(d)
			if err != nil {
				return nil, err
			}
			snips = append(snips, s...)
		}
		mods = append(mods, pending{snips, tests})
	}
	for _, m := range mods {
		for _, s := range m.snips {
			if !foundIn(s.lines, m.tests) {
				report(s)
			}
		}
	}
	rootSnips, err := markdown(root, "README.md")
	if err != nil {
		return nil, err
	}
	for _, s := range rootSnips {
		if !foundIn(s.lines, all) {
			report(s)
		}
	}
	return problems, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// testFiles returns the normalised lines of every _test.go file under dir.
func testFiles(dir string) ([][]string, error) {
	var out [][]string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && exists(filepath.Join(p, "go.mod")) {
			return filepath.SkipDir // another module
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, normalise(strings.Split(string(data), "\n")))
		return nil
	})
	return out, err
}

// markdown returns the ```go blocks of dir/name.
func markdown(dir, name string) ([]snippet, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []snippet
	var cur *snippet
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case cur == nil && t == "```go":
			cur = &snippet{file: path, line: i + 2}
		case cur != nil && t == "```":
			if cur.lines = dropImports(normalise(cur.lines)); len(cur.lines) > 0 {
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, l)
		}
	}
	return out, nil
}

// docComment returns the indented code blocks of a doc.go comment that
// contain Go.
func docComment(path string) ([]snippet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []snippet
	var cur *snippet
	flush := func() {
		if cur == nil {
			return
		}
		text := strings.Join(cur.lines, "\n")
		if strings.Contains(text, ":=") || strings.Contains(text, "\nfunc ") || strings.HasPrefix(text, "func ") {
			if cur.lines = dropImports(normalise(cur.lines)); len(cur.lines) > 0 {
				out = append(out, *cur)
			}
		}
		cur = nil
	}
	for i, l := range strings.Split(string(data), "\n") {
		if code, ok := strings.CutPrefix(l, "//\t"); ok {
			if cur == nil {
				cur = &snippet{file: path, line: i + 1}
			}
			cur.lines = append(cur.lines, code)
			continue
		}
		if strings.TrimSpace(l) == "//" && cur != nil {
			cur.lines = append(cur.lines, "")
			continue
		}
		flush()
	}
	flush()
	return out, nil
}

// normalise trims every line and drops blank ones.
func normalise(lines []string) []string {
	var out []string
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// dropImports removes import declarations from normalised lines.
func dropImports(lines []string) []string {
	var out []string
	inBlock := false
	for _, l := range lines {
		switch {
		case inBlock:
			inBlock = l != ")"
		case l == "import (":
			inBlock = true
		case strings.HasPrefix(l, "import "):
		default:
			out = append(out, l)
		}
	}
	return out
}

// foundIn reports whether want occurs, contiguous, in one of files.
func foundIn(want []string, files [][]string) bool {
	for _, f := range files {
		for i := 0; i+len(want) <= len(f); i++ {
			match := true
			for j := range want {
				if f[i+j] != want[j] {
					match = false
					break
				}
			}
			if match {
				return true
			}
		}
	}
	return false
}
