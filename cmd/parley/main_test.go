package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain_Close checks that Close is safe on a Main whose Run failed, or
// never ran: a caller that defers Close right after NewMain, as tests and
// any embedding program do, must not panic when start-up fails, and must
// get the database closed.
func TestMain_Close(t *testing.T) {
	t.Parallel()

	t.Run("AfterListenFails", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()

		m := NewMain()
		m.Config.Addr = busy.Addr().String()
		m.Config.DB = filepath.Join(t.TempDir(), "parley.db")
		m.LogOutput = io.Discard
		err = m.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
			t.Fatalf("Run=%v, want an error naming %s", err, busy.Addr())
		}
		closeNoPanic(t, m)
	})

	t.Run("NeverRun", func(t *testing.T) {
		closeNoPanic(t, NewMain())
	})
}

// closeNoPanic calls m.Close, failing the test if it panics.
func closeNoPanic(t *testing.T, m *Main) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("Close panicked: %v", v)
		}
	}()
	if err := m.Close(); err != nil {
		t.Fatalf("Close=%v, want nil", err)
	}
}

// TestDebugAddr checks that --debug-addr serves the runtime's profiles on a
// listener of its own, and that the API's address does not.
func TestDebugAddr(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t, func(m *Main) { m.Config.DebugAddr = "127.0.0.1:0" })

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(s.DebugURL + "goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("GET %sgoroutine: %d %.100q, want 200 and a goroutine profile", s.DebugURL, code, body)
	}
	if code, _ := get(s.URL + "/debug/pprof/goroutine?debug=1"); code != http.StatusNotFound {
		t.Fatalf("the API's address answered /debug/pprof/ with %d, want 404", code)
	}
}
