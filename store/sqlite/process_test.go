package sqlitestore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// The tests in this file run the test binary again as a helper process
// (SQLITESTORE_HELPER names its job) sharing a file with the test, as a
// second application instance would.
func TestMain(m *testing.M) {
	if job := os.Getenv("SQLITESTORE_HELPER"); job != "" {
		os.Exit(helperMain(job, os.Getenv("SQLITESTORE_PATH")))
	}
	os.Exit(m.Run())
}

func helperMain(job, path string) int {
	st, err := sqlitestore.New(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "New:", err)
		return 2
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "Migrate:", err)
		return 2
	}
	switch job {
	case "migrate":
		// Create one row, to show the schema was there.
		if err := st.Create(ctx, record(os.Getenv("SQLITESTORE_HANDLE"), "alice", 0)); err != nil {
			fmt.Fprintln(os.Stderr, "Create:", err)
			return 2
		}
	case "cas":
		// Compare-and-swap one handle 150 times from the version just read;
		// report each win.
		h := os.Getenv("SQLITESTORE_HANDLE")
		for range 150 {
			rec, err := st.Get(ctx, h)
			if err != nil {
				fmt.Fprintln(os.Stderr, "Get:", err)
				return 2
			}
			u := sessionissuer.RefreshUpdate{Refresh: fmt.Appendf(nil, "%d@%d", os.Getpid(), rec.Version+1), RefreshedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
			got, ok, err := st.SwapRefresh(ctx, h, rec.Version, u)
			if err != nil {
				fmt.Fprintln(os.Stderr, "SwapRefresh:", err)
				return 2
			}
			if ok {
				fmt.Printf("%d %s\n", got.Version, got.Refresh)
			}
		}
	case "storm":
		return storm(ctx, st, strings.Fields(os.Getenv("SQLITESTORE_HANDLE")))
	case "revoke":
		// Revoke each handle read from stdin; report each answered one.
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			ok, err := st.Revoke(ctx, in.Text(), time.Now())
			if err != nil || !ok {
				fmt.Fprintln(os.Stderr, "Revoke:", ok, err)
				return 2
			}
			fmt.Printf("revoked %s\n", in.Text())
		}
	default:
		return 3
	}
	return 0
}

// storm refreshes every handle over and over, one goroutine per handle, and
// writes "handle version" to stdout for each swap once it was answered,
// until it is killed.
func storm(ctx context.Context, st *sqlitestore.Store, handles []string) int {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, h := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := uint64(1); ; v++ {
				u := sessionissuer.RefreshUpdate{
					Refresh:     stormRefresh(h, v+1),
					RefreshedAt: time.Now(),
					ExpiresAt:   time.Now().Add(time.Hour),
				}
				_, ok, err := st.SwapRefresh(ctx, h, v, u)
				if err != nil || !ok {
					fmt.Fprintln(os.Stderr, "SwapRefresh:", ok, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("%s %d\n", h, v+1) // one write(2): the answer
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

func stormRefresh(handle string, version uint64) []byte {
	return fmt.Appendf(nil, "%s@%d", handle, version)
}

func helper(t *testing.T, job, path, handle string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "SQLITESTORE_HELPER="+job, "SQLITESTORE_PATH="+path, "SQLITESTORE_HANDLE="+handle)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestMigrateProcesses: processes that start together on a new file all
// migrate it without error, and exactly one schema results.
func TestMigrateProcesses(t *testing.T) {
	path := t.TempDir() + "/shared.db"
	var cmds []*exec.Cmd
	for i := range 4 {
		cmd := helper(t, "migrate", path, fmt.Sprintf("p%d", i))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	st := openStore(t, path)
	for i := range 4 {
		mustGet(t, st, fmt.Sprintf("p%d", i))
	}
}

// TestSwapAcrossProcesses: two processes racing compare-and-swaps on one
// session never both win a version, and every win is in the file.
func TestSwapAcrossProcesses(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, record("h1", "alice", 0))
	var (
		outs []io.ReadCloser
		cmds []*exec.Cmd
	)
	for range 2 {
		cmd := helper(t, "cas", pathOf(t, st), "h1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	wins := map[uint64]string{} // version → refresh state of its winner
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, out := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines := bufio.NewScanner(out)
			for lines.Scan() {
				v, state, _ := strings.Cut(lines.Text(), " ")
				n, _ := strconv.ParseUint(v, 10, 64)
				mu.Lock()
				if prev, dup := wins[n]; dup {
					t.Errorf("version %d won twice (%s and %s)", n, prev, state)
				}
				wins[n] = state
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	got := mustGet(t, st, "h1")
	if uint64(len(wins)) != got.Version-1 {
		t.Errorf("%d wins reported, stored version %d", len(wins), got.Version)
	}
	if wins[got.Version] != string(got.Refresh) {
		t.Errorf("stored refresh %q, but version %d was won with %q", got.Refresh, got.Version, wins[got.Version])
	}
	t.Logf("%d swaps won across two processes", len(wins))
}

// TestCrashLosesNoAnsweredRefresh kills (SIGKILL) a process in the middle of
// a storm of refreshes: every refresh it had answered is in the file.
func TestCrashLosesNoAnsweredRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a helper process for a few seconds")
	}
	st := newStore(t)
	path := pathOf(t, st)
	handles := []string{"s1", "s2", "s3", "s4"}
	for _, h := range handles {
		rec := record(h, "alice", 0)
		rec.Refresh = stormRefresh(h, 1)
		mustCreate(t, st, rec)
	}
	st.Close()

	cmd := helper(t, "storm", path, strings.Join(handles, " "))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	answered := map[string]uint64{}
	lines := bufio.NewScanner(out)
	read := func() bool {
		if !lines.Scan() {
			return false
		}
		h, v, _ := strings.Cut(lines.Text(), " ")
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("helper wrote %q", lines.Text())
		}
		answered[h] = max(answered[h], n)
		return true
	}
	// Kill it once it is well into the storm (or after 5 s).
	deadline := time.Now().Add(5 * time.Second)
	for count := 0; count < 400 && time.Now().Before(deadline); count++ {
		if !read() {
			t.Fatalf("helper stopped early: %v", lines.Err())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for read() { // answers already in the pipe were given too
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("helper exited normally; want killed")
	}

	st = openStore(t, path)
	total := uint64(0)
	for _, h := range handles {
		got := mustGet(t, st, h)
		if got.Version < answered[h] {
			t.Errorf("%s: stored version %d, but version %d was answered before the crash", h, got.Version, answered[h])
		}
		if string(got.Refresh) != string(stormRefresh(h, got.Version)) {
			t.Errorf("%s: stored refresh state %q does not belong to its version %d", h, got.Refresh, got.Version)
		}
		total += answered[h] - 1
	}
	t.Logf("%d refreshes answered before SIGKILL; all present", total)
	integrityCheck(t, path)
}

// TestRevocationFeedAcrossProcesses: revocations answered by another
// process reach this one's WatchRevocations within 2 s.
func TestRevocationFeedAcrossProcesses(t *testing.T) {
	st := newStore(t)
	path := pathOf(t, st)
	handles := []string{"x1", "x2", "x3", "x4", "x5"}
	for _, h := range handles {
		mustCreate(t, st, record(h, "alice", 0))
	}

	delivered := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- st.WatchRevocations(ctx, time.Now(), func(r sessionissuer.Revocation) { delivered <- r.Handle })
	}()

	cmd := helper(t, "revoke", path, "")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	answers := bufio.NewScanner(out)
	var worst time.Duration
	for _, h := range handles {
		fmt.Fprintln(in, h)
		if !answers.Scan() || answers.Text() != "revoked "+h {
			t.Fatalf("helper answered %q, %v", answers.Text(), answers.Err())
		}
		answered := time.Now()
		select {
		case got := <-delivered:
			if got != h {
				t.Fatalf("delivered %s, want %s", got, h)
			}
			worst = max(worst, time.Since(answered))
		case <-time.After(2 * time.Second):
			t.Fatalf("revocation of %s by another process not delivered within 2s", h)
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-watchDone; err != context.Canceled {
		t.Errorf("WatchRevocations returned %v, want context.Canceled", err)
	}
	t.Logf("slowest cross-process delivery %v", worst)
}

func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db := rawDB(t, path)
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check = %q, %v", res, err)
	}
}
