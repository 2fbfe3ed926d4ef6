package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	parleyhttp "github.com/parleychat/parley/http"
	"github.com/parleychat/parley/natsbus"
	"github.com/parleychat/parley/realtime"
)

// Config holds the settings of parley serve. Each is a flag and an
// environment variable; a flag given on the command line wins.
type Config struct {
	Addr         string
	DB           string
	NATS         string
	NATSSubject  string
	OIDCIssuer   string
	OIDCAudience string
	LogLevel     string
	// DebugAddr, when set, serves the runtime's profiles (net/http/pprof)
	// on a listener of its own, apart from the API.
	DebugAddr string
}

// ShutdownTimeout bounds how long a graceful shutdown waits for requests in
// flight and WebSocket connections to end.
const ShutdownTimeout = 10 * time.Second

// Main is the running server: its settings and the adapters wired from
// them. Tests run it in-process just as the command does.
type Main struct {
	Config Config
	Logger *slog.Logger

	// LogOutput is where logs go; os.Stderr by default.
	LogOutput io.Writer
	// PasswordCost overrides the bcrypt cost; tests lower it.
	PasswordCost int
	// WS overrides the WebSocket timings; tests shorten them.
	WS parleyhttp.WSConfig
	// PresenceGrace overrides how long a user stays online after their
	// last connection closed; tests shorten it.
	PresenceGrace time.Duration

	// DebugURL is where the profiles are served, with --debug-addr.
	DebugURL string

	Store   parley.Store
	Hub     *realtime.Hub
	Bus     *natsbus.Bus // with --nats
	Service *app.Service
	Server  *parleyhttp.Server

	debug       io.Closer // the profiling listener, if any
	stopPruning context.CancelFunc
	pruned      chan struct{} // closed when pruning has stopped
}

// NewMain returns a Main with the default settings.
func NewMain() *Main {
	return &Main{
		Config: Config{
			Addr:        "127.0.0.1:8080",
			DB:          "parley.db",
			NATSSubject: "parley",
			LogLevel:    "info",
		},
		LogOutput: os.Stderr,
	}
}

// ParseFlags reads the settings from the environment, then from args. It
// checks them all and returns the first bad one as an error of one line
// that names the setting.
func (m *Main) ParseFlags(args []string, getenv func(string) string, output io.Writer) error {
	c := &m.Config
	fs := flag.NewFlagSet("parley serve", flag.ContinueOnError)
	fs.SetOutput(output)
	settings := []struct {
		name, env, help string
		value           *string
	}{
		{"addr", "PARLEY_ADDR", "listen address", &c.Addr},
		{"db", "PARLEY_DB", "SQLite file path, or postgres:// URL for a cluster", &c.DB},
		{"nats", "PARLEY_NATS", "NATS URL for fan-out between nodes (empty: a single node)", &c.NATS},
		{"nats-subject", "PARLEY_NATS_SUBJECT", "prefix of the NATS subjects: one per deployment sharing a NATS", &c.NATSSubject},
		{"oidc-issuer", "PARLEY_OIDC_ISSUER", "accept tokens of this OIDC issuer (not available yet)", &c.OIDCIssuer},
		{"oidc-audience", "PARLEY_OIDC_AUDIENCE", "expected aud / client_id of OIDC tokens", &c.OIDCAudience},
		{"log-level", "PARLEY_LOG_LEVEL", "debug, info, warn or error", &c.LogLevel},
		{"debug-addr", "PARLEY_DEBUG_ADDR", "serve /debug/pprof/ on this address (keep it on loopback; empty: off)", &c.DebugAddr},
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			*s.value = v
		}
		fs.StringVar(s.value, s.name, *s.value, fmt.Sprintf("%s (env %s)", s.help, s.env))
	}
	if err := fs.Parse(args); err != nil {
		return err
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return m.check()
}

// check validates the settings. Each error names the flag and its
// variable, since either may have set the value.
func (m *Main) check() error {
	c := m.Config
	host, port, err := net.SplitHostPort(c.Addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
		return fmt.Errorf("--addr (PARLEY_ADDR) %q: want host:port, such as 127.0.0.1:8080", c.Addr)
	}
	if err := checkDB(c.DB); err != nil {
		return err
	}
	if c.NATS != "" && !strings.HasPrefix(c.NATS, "nats://") && !strings.HasPrefix(c.NATS, "tls://") {
		return fmt.Errorf("--nats (PARLEY_NATS) %q: want a nats:// URL, or several separated by commas", redact(c.NATS))
	}
	if !natsSubject.MatchString(c.NATSSubject) {
		return fmt.Errorf("--nats-subject (PARLEY_NATS_SUBJECT) %q: want letters, digits, - and _, in tokens separated by dots, such as parley.prod", c.NATSSubject)
	}
	if c.OIDCIssuer != "" {
		return fmt.Errorf("--oidc-issuer (PARLEY_OIDC_ISSUER): OIDC identity is not available in this version; leave it empty")
	} else if c.OIDCAudience != "" {
		return fmt.Errorf("--oidc-audience (PARLEY_OIDC_AUDIENCE): OIDC identity is not available in this version; leave it empty")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			return fmt.Errorf("--debug-addr (PARLEY_DEBUG_ADDR) %q: want host:port, such as 127.0.0.1:6060", c.DebugAddr)
		}
	}
	return nil
}

// natsSubject matches a valid --nats-subject: NATS tokens without
// wildcards or spaces.
var natsSubject = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// parseLevel reads a --log-level value.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("--log-level (PARLEY_LOG_LEVEL) %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// redact hides the password of a URL setting, such as a database URL, for
// the log.
func redact(setting string) string {
	if u, err := url.Parse(setting); err == nil && u.User != nil {
		return u.Redacted()
	}
	return setting
}

// Run opens the store, the hub, the service and the server, and returns
// once the server is listening.
func (m *Main) Run(ctx context.Context) error {
	level, _ := parseLevel(m.Config.LogLevel)
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(m.LogOutput, &slog.HandlerOptions{Level: level}))
	}

	store, err := openStore(ctx, m.Config.DB)
	if err != nil {
		return err
	}
	m.Store = store

	m.Hub = realtime.NewHub(0)
	m.Service = &app.Service{
		Store: store, Events: m.Hub, Logger: m.Logger.With("component", "app"),
		PasswordCost: m.PasswordCost, PresenceGrace: m.PresenceGrace,
	}
	if m.Config.NATS != "" {
		// Events go to this node's hub and to the other nodes; presence
		// is the cluster's, decided by the bus.
		m.Bus = &natsbus.Bus{
			URL: m.Config.NATS, Subject: m.Config.NATSSubject, Hub: m.Hub, Service: m.Service,
			Logger: m.Logger, Grace: m.PresenceGrace,
		}
		m.Service.Events, m.Service.Roster = m.Bus, m.Bus
	}
	if err := m.Service.Open(ctx); err != nil {
		return err
	}
	if m.Bus != nil {
		if err := m.Bus.Open(); err != nil {
			return fmt.Errorf("--nats (PARLEY_NATS) %s: %w", redact(m.Config.NATS), err)
		}
	}
	pruneCtx, stop := context.WithCancel(context.Background())
	m.stopPruning, m.pruned = stop, make(chan struct{})
	go func() {
		defer close(m.pruned)
		m.Service.KeepPruning(pruneCtx)
	}()

	if m.Config.DebugAddr != "" {
		debug, url, err := serveDebug(m.Config.DebugAddr, m.Logger)
		if err != nil {
			return err
		}
		m.debug, m.DebugURL = debug, url
	}

	srv := &parleyhttp.Server{
		Service: m.Service, Hub: m.Hub, Logger: m.Logger.With("component", "http"),
		Addr: m.Config.Addr, WS: m.WS,
	}
	if err := srv.Open(); err != nil {
		return err
	}
	m.Server = srv
	// The settings are logged once the server is up, so that a start-up
	// that fails prints only its one line of error.
	m.Logger.Info("listening", "url", m.Server.URL(), "version", parley.Version,
		"db", redact(m.Config.DB), "nats", redact(m.Config.NATS), "log_level", m.Config.LogLevel)
	return nil
}

// Close shuts down in reverse order of Run: the server (which ends requests
// in flight and WebSocket connections), the pruning of old changes, then
// the store. It closes what Run opened, so it is safe after a Run that
// failed half-way, or none.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}

	// A start-up that failed has printed its one line of error; it closes
	// what it opened without more words.
	started := m.Server != nil
	if started {
		m.Logger.Info("shutting down")
	}
	var firstErr error
	if m.Server != nil {
		if err := m.Server.Close(ctx); err != nil {
			firstErr = err
		}
	}
	if m.debug != nil {
		m.debug.Close()
	}
	if m.Bus != nil {
		if err := m.Bus.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if m.stopPruning != nil {
		m.stopPruning()
		<-m.pruned
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if started {
		m.Logger.Info("stopped")
	}
	return firstErr
}
