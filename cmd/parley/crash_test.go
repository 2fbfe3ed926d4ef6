package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The crash tests run the real binary, built once for the whole test run,
// as an operator would, and kill it with SIGKILL.

var (
	binDir   string // where the binary is built; removed after the tests
	buildBin = sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, "parley")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go build: %v\n%s", err, out)
		}
		return bin, nil
	})
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// MustBuild returns the path of the parley binary, building it on first use.
func MustBuild(tb testing.TB) string {
	tb.Helper()
	bin, err := buildBin()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// Process is the parley binary running as a child process.
type Process struct {
	Cmd    *exec.Cmd
	Stderr *logBuffer
	Stdout *logBuffer
	URL    string

	waitOnce sync.Once
	waitErr  error
	exited   chan struct{}
}

// command returns the binary's command for args, with none of the PARLEY_
// settings of the environment the tests run in.
func command(tb testing.TB, args ...string) (*exec.Cmd, *logBuffer, *logBuffer) {
	tb.Helper()
	cmd := exec.Command(MustBuild(tb), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, stderr := &logBuffer{}, &logBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd, stdout, stderr
}

// MustBeStartupError fails the test unless the output is that of an error
// at start-up: exactly one line on stderr, which names setting, and nothing
// on stdout.
func MustBeStartupError(tb testing.TB, stdout, stderr *logBuffer, setting string) {
	tb.Helper()
	out := stderr.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		tb.Fatalf("stderr=%q, want exactly one line", out)
	} else if !strings.Contains(out, setting) {
		tb.Fatalf("stderr=%q, want it to name %s", out, setting)
	} else if stdout.String() != "" {
		tb.Fatalf("stdout=%q, want nothing", stdout)
	}
}

// listeningRE finds the URL in the server's "listening" log line.
var listeningRE = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// MustStartProcess runs "parley serve" on db and a free port, with any
// further flags in args, and waits until it logs the URL it listens on.
// The process is killed at the end of the test if it still runs.
func MustStartProcess(tb testing.TB, db string, args ...string) *Process {
	tb.Helper()
	cmd, stdout, stderr := command(tb, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	p := startCommand(tb, cmd, stdout, stderr)
	p.MustListen(tb)
	return p
}

// MustListen waits until the process logs the URL it listens on, and sets
// p.URL to it.
func (p *Process) MustListen(tb testing.TB) {
	tb.Helper()
	WaitFor(tb, "the listening line", time.Now().Add(timeout), func() bool {
		select {
		case <-p.exited:
			tb.Fatalf("parley exited before listening: %v; stderr:\n%s", p.waitErr, p.Stderr)
		default:
		}
		m := listeningRE.FindStringSubmatch(p.Stderr.String())
		if m == nil {
			return false
		}
		p.URL = m[1]
		return true
	})
}

// startCommand starts cmd, whose output goes to stdout and stderr, as a
// Process. It is killed at the end of the test if it still runs.
func startCommand(tb testing.TB, cmd *exec.Cmd, stdout, stderr *logBuffer) *Process {
	tb.Helper()
	p := &Process{Cmd: cmd, Stdout: stdout, Stderr: stderr, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start: %v", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// Wait waits for the process to exit and returns its exit code.
func (p *Process) Wait(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		tb.Fatalf("parley still running after %v", timeout)
	}
	var exit *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &exit) {
		tb.Fatalf("wait: %v", p.waitErr)
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Client returns a Server value that speaks to the process, for the HTTP
// and WebSocket helpers.
func (p *Process) Client() *Server {
	return &Server{URL: p.URL, Logs: p.Stderr}
}

func TestCrash(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "parley.db")
	p := MustStartProcess(t, db)
	s := p.Client()

	ann, bob := s.MustSignup(t, "ann"), s.MustSignup(t, "bob")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob)
	general := General(t, ws)

	// Messages acknowledged over HTTP and over WebSocket, in a channel and
	// in a direct conversation, the last one acknowledged just before the
	// kill.
	acked := map[string]int64{} // message_id to seq
	for i := range 5 {
		m := s.MustPost(t, ann, general, fmt.Sprintf("http %d", i))
		acked[m.ID] = m.Seq
	}
	var dm Message
	s.MustDo(t, Req{Method: "POST", Path: "/dm/" + bob.Email() + "/" + ann.Email(), Token: bob.AccessToken,
		Body: map[string]string{"message": "dm over http"}}, http.StatusCreated, &dm)
	c := s.MustConnect(t, bob)
	for i := range 5 {
		id := fmt.Sprintf("ws-%d", i)
		c.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": general.ID,
			"message": "ws " + id, "client_msg_id": id})
	}
	c.Send(t, map[string]string{"action": "dmChat", "receiver": ann.Email(), "message": "dm over ws", "client_msg_id": "ws-dm"})
	for i := range 5 {
		ack := c.Next(t, "ack", IsAck(fmt.Sprintf("ws-%d", i)))
		acked[ack.MessageID] = ack.Seq
	}
	dmAck := c.Next(t, "dm ack", IsAck("ws-dm"))

	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	p.Wait(t)

	// Restarted on the same file, the server has every acknowledged
	// message at its seq, and the old access token still works: the
	// signing key is in the database.
	p2 := MustStartProcess(t, db)
	s2 := p2.Client()
	hist := s2.MustHistory(t, ann, general, "limit=200")
	if len(hist.Messages) != len(acked) {
		t.Fatalf("general holds %d messages after the restart, want the %d acknowledged", len(hist.Messages), len(acked))
	}
	for _, m := range hist.Messages {
		if seq, ok := acked[m.ID]; !ok || seq != m.Seq {
			t.Fatalf("message %s has seq %d, want %d (acknowledged: %v)", m.ID, m.Seq, seq, ok)
		}
	}
	var dms Page
	s2.MustDo(t, Req{Method: "GET", Path: "/dm/" + ann.Email() + "/" + bob.Email(), Token: ann.AccessToken}, http.StatusOK, &dms)
	if got := dms.Seqs(); len(got) != 2 || dms.Messages[0].ID != dm.ID || dms.Messages[1].ID != dmAck.MessageID ||
		got[0] != dm.Seq || got[1] != dmAck.Seq {
		t.Fatalf("direct history=%+v, want %s (seq %d) and %s (seq %d)", dms.Messages, dm.ID, dm.Seq, dmAck.MessageID, dmAck.Seq)
	}

	next := s2.MustPost(t, bob, general, "after the crash")
	if want := int64(len(acked) + 1); next.Seq != want {
		t.Fatalf("next message has seq %d, want %d", next.Seq, want)
	}
	c2 := s2.MustConnect(t, ann)
	c2.Send(t, map[string]string{"action": "dmChat", "receiver": bob.Email(), "message": "dm after", "client_msg_id": "after"})
	if ack := c2.Next(t, "ack", IsAck("after")); ack.Seq != dmAck.Seq+1 {
		t.Fatalf("next direct message has seq %d, want %d", ack.Seq, dmAck.Seq+1)
	}

	// An idempotent repeat of a message sent before the crash is still
	// recognised.
	c2b := s2.MustConnect(t, bob)
	c2b.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": general.ID,
		"message": "ws ws-4", "client_msg_id": "ws-4"})
	if ack := c2b.Next(t, "repeat ack", IsAck("ws-4")); acked[ack.MessageID] != ack.Seq || ack.Seq == 0 {
		t.Fatalf("repeat of ws-4 got %+v, want the message acknowledged before the crash", ack)
	}

	for _, out := range []string{p.Stderr.String(), p2.Stderr.String()} {
		for _, secret := range []string{password, ann.AccessToken, ann.RefreshToken, bob.AccessToken, bob.RefreshToken} {
			if strings.Contains(out, secret) {
				t.Fatalf("log holds the secret %.12q…", secret)
			}
		}
	}
}

func TestBinary(t *testing.T) {
	t.Parallel()

	t.Run("Version", func(t *testing.T) {
		cmd, stdout, stderr := command(t, "version")
		if err := cmd.Run(); err != nil {
			t.Fatalf("parley version: %v; stderr %s", err, stderr)
		}
		out := strings.TrimSpace(stdout.String())
		if v, ok := strings.CutPrefix(out, "parley "); !ok || v == "" || strings.Contains(out, "\n") {
			t.Fatalf("parley version printed %q, want one line \"parley VERSION\"", out)
		}
	})

	t.Run("ErrBadSetting", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "parley.db")
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		busy := taken.Addr().String()
		tests := []struct {
			name    string
			args    []string
			env     []string
			setting string
		}{
			{"LogLevel", []string{"serve", "--log-level", "loud", "--db", db}, nil, "--log-level"},
			{"LogLevelEnv", []string{"serve", "--db", db}, []string{"PARLEY_LOG_LEVEL=loud"}, "--log-level"},
			{"Addr", []string{"serve", "--addr", "nonsense", "--db", db}, nil, "--addr"},
			{"AddrEnv", []string{"serve", "--db", db}, []string{"PARLEY_ADDR=nonsense"}, "--addr"},
			{"DebugAddr", []string{"serve", "--db", db, "--debug-addr", "6060"}, nil, "--debug-addr"},
			{"DebugAddrEnv", []string{"serve", "--db", db}, []string{"PARLEY_DEBUG_ADDR=localhost"}, "--debug-addr"},
			{"DB", []string{"serve", "--addr", "127.0.0.1:0", "--db", "mysql://x"}, nil, "--db"},
			{"DBEnv", []string{"serve", "--addr", "127.0.0.1:0"}, []string{"PARLEY_DB=mysql://x"}, "--db"},
			{"DBPostgresDown", []string{"serve", "--addr", "127.0.0.1:0", "--db",
				"postgres://parley:secret@127.0.0.1:1/parley"}, nil, "--db"},
			{"DBSpaces", []string{"serve", "--db", " postgres://parley:secret@127.0.0.1:1/parley"}, nil, "--db"},
			{"DBKeywords", []string{"serve", "--db", "host=127.0.0.1 user=parley password=secret"}, nil, "--db"},
			{"NATS", []string{"serve", "--db", db, "--nats", "127.0.0.1:4222"}, nil, "--nats"},
			{"NATSSubject", []string{"serve", "--db", db, "--nats-subject", "parley.*"}, nil, "--nats-subject"},
			{"DebugAddrTaken", []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--debug-addr", busy}, nil, "--debug-addr"},
			{"NATSDown", []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--nats", "nats://127.0.0.1:1"}, nil, "--nats"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cmd, stdout, stderr := command(t, tt.args...)
				cmd.Env = append(cmd.Env, tt.env...)
				err := cmd.Run()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() == 0 {
					t.Fatalf("parley %v: %v, want a non-zero exit; stderr %s", tt.args, err, stderr)
				}
				MustBeStartupError(t, stdout, stderr, tt.setting)
				if strings.Contains(stderr.String(), "secret") {
					t.Fatalf("stderr shows the database's password: %s", stderr)
				}
			})
		}
	})

	t.Run("ErrUnknownCommand", func(t *testing.T) {
		cmd, _, stderr := command(t, "frobnicate")
		var exit *exec.ExitError
		if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("parley frobnicate: %v, want a non-zero exit", err)
		} else if !strings.Contains(stderr.String(), "frobnicate") {
			t.Fatalf("stderr=%q, want it to name the command", stderr)
		}
	})

	t.Run("SIGTERM", func(t *testing.T) {
		p := MustStartProcess(t, filepath.Join(t.TempDir(), "parley.db"))
		s := p.Client()
		ann := s.MustSignup(t, "ann")
		c := s.MustConnect(t, ann)

		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("signal: %v", err)
		}
		if code := p.Wait(t); code != 0 {
			t.Fatalf("exit code=%d after SIGTERM, want 0; stderr:\n%s", code, p.Stderr)
		}
		WaitFor(t, "the WebSocket to end", time.Now().Add(timeout), func() bool { return c.Err() != nil })
		var ce *websocket.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Fatalf("WebSocket read ended with %v, want a close frame with code 1001", err)
		}
		if !strings.Contains(p.Stderr.String(), "msg=stopped") {
			t.Fatalf("stderr has no stopped line:\n%s", p.Stderr)
		}
	})
}
