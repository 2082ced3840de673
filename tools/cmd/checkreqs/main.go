// Command checkreqs fails when the workspace's modules disagree about their
// requirements (see docs/releasing.md):
//
//   - two modules require different versions of the same dependency (jwx,
//     a framework, an indirect one): with GOWORK=off each module would then
//     build and test against a combination the workspace never tested;
//   - a module requires one of the repository's own modules (the core, say)
//     at a version other than the workspace's: v0.0.0 before the first
//     release of that module, else a version tagged "<dir>/<version>";
//   - a requirement on one of the repository's own modules has no replace
//     directive pointing at its directory, so GOWORK=off would not build it
//     from the working tree.
//
// Usage, from the repository root: go run ./tools/cmd/checkreqs (with
// GOWORK=off and -C tools, as the Makefile does; the root is found from
// go.work).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

func main() {
	root := flag.String("root", ".", "the repository root (the directory of go.work)")
	flag.Parse()
	problems, err := check(*root, gitTags(*root))
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkreqs:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// gitTags lists the repository's tags; none (or no git) is not an error.
func gitTags(root string) map[string]bool {
	out, _ := exec.Command("git", "-C", root, "tag", "--list").Output()
	tags := map[string]bool{}
	for _, t := range strings.Fields(string(out)) {
		tags[t] = true
	}
	return tags
}

type module struct {
	dir string // relative to the root, "core", "examples/demo"
	mf  *modfile.File
}

// check returns one line per problem found.
func check(root string, tags map[string]bool) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, err
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, err
	}
	var mods []module
	own := map[string]string{} // module path -> dir
	for _, u := range wf.Use {
		dir := filepath.Clean(u.Path)
		data, err := os.ReadFile(filepath.Join(root, dir, "go.mod"))
		if err != nil {
			return nil, err
		}
		mf, err := modfile.Parse(dir+"/go.mod", data, nil)
		if err != nil {
			return nil, err
		}
		mods = append(mods, module{dir, mf})
		own[mf.Module.Mod.Path] = dir
	}

	var problems []string
	versions := map[string]map[string][]string{} // dependency -> version -> requiring dirs
	for _, m := range mods {
		replaced := map[string]string{}
		for _, r := range m.mf.Replace {
			replaced[r.Old.Path] = r.New.Path
		}
		for _, r := range m.mf.Require {
			p, v := r.Mod.Path, r.Mod.Version
			if versions[p] == nil {
				versions[p] = map[string][]string{}
			}
			versions[p][v] = append(versions[p][v], m.dir)
			dir, ours := own[p]
			if !ours {
				continue
			}
			if v != "v0.0.0" && !tags[dir+"/"+v] {
				problems = append(problems, fmt.Sprintf("%s/go.mod: requires %s %s, but the workspace's %s is v0.0.0 (unreleased) or a tag %s/<version>; tag %s/%s is missing", m.dir, p, v, dir, dir, dir, v))
			}
			want, err := filepath.Rel(m.dir, dir)
			if err != nil {
				return nil, err
			}
			if got, ok := replaced[p]; !ok || filepath.Clean(got) != want {
				problems = append(problems, fmt.Sprintf("%s/go.mod: requires %s without \"replace %s => %s\" (GOWORK=off builds need it)", m.dir, p, p, want))
			}
		}
	}
	deps := make([]string, 0, len(versions))
	for p := range versions {
		deps = append(deps, p)
	}
	sort.Strings(deps)
	for _, p := range deps {
		if len(versions[p]) < 2 {
			continue
		}
		var parts []string
		for v, dirs := range versions[p] {
			parts = append(parts, v+" ("+strings.Join(dirs, ", ")+")")
		}
		sort.Strings(parts)
		problems = append(problems, fmt.Sprintf("%s is required at different versions: %s", p, strings.Join(parts, "; ")))
	}
	return problems, nil
}
