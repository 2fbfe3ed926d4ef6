package main

import (
	"context"
	"time"
)

// A target is a chat server under test, driven over its real API: Parley,
// or a peer it is compared with (Centrifugo, Dendrite). Each scenario needs
// some of the interfaces below; a target implements those it can take part
// in, and the scenario refuses a target that implements none.

// Sender sends persisted messages as many users, for the send scenario.
type Sender interface {
	// PrepareSend creates users accounts (or reuses them) and one room or
	// channel they are all in.
	PrepareSend(ctx context.Context, users int) error
	// Send sends one message as user i%users and returns once the server
	// has answered that it is stored.
	Send(ctx context.Context, i int) error
}

// HistoryReader reads the newest messages of a busy room, for the history
// scenario.
type HistoryReader interface {
	// PrepareHistory makes sure a room holds at least n messages, and
	// reports how many it holds.
	PrepareHistory(ctx context.Context, n int) (int, error)
	// ReadNewest reads the newest 50 messages of that room.
	ReadNewest(ctx context.Context) error
}

// Fanout connects many receivers to one channel and publishes into it, for
// the fanout scenario.
type Fanout interface {
	// ConnectReceivers opens n authenticated connections subscribed to one
	// channel; each calls got with the send time carried by every message
	// it receives. It returns once all are ready.
	ConnectReceivers(ctx context.Context, n int, got func(sentAt time.Time)) error
	// Publish sends one message carrying sentAt into the channel.
	Publish(ctx context.Context, sentAt time.Time) error
	// Close closes the receivers.
	Close() error
}

// Idler holds many authenticated idle connections, for the idle scenario.
type Idler interface {
	// ConnectIdle opens n authenticated connections and keeps them open
	// until Close; it returns once all are open.
	ConnectIdle(ctx context.Context, n int) error
	Close() error
}

// IdlePreparer is an Idler with set-up to do before its connections open
// (users to create, tokens to get). The idle scenario calls PrepareIdle
// first, when the Idler has it, so that the set-up's memory and time are
// not counted as the connections'. A target without set-up need not have
// it.
type IdlePreparer interface {
	// PrepareIdle readies what ConnectIdle(ctx, n) will need.
	PrepareIdle(ctx context.Context, n int) error
}

// Connector opens one connection, for the connect scenario.
type Connector interface {
	// PrepareConnect creates what connections need (users, tokens).
	PrepareConnect(ctx context.Context, users int) error
	// ConnectOnce opens a connection as user i%users, authenticates, waits
	// for the server's first answer (Parley's hello, Centrifugo's connect
	// reply), and closes it.
	ConnectOnce(ctx context.Context, i int) error
}

// TargetConfig says where a target runs and how to reach it.
type TargetConfig struct {
	// URL is the server's base HTTP URL, such as http://127.0.0.1:8080.
	URL string
	// Options are a target's own settings, from --opt key=value flags
	// (an API key, a room ID, a password).
	Options map[string]string
}

// targets holds the constructor of each target by name; each target's
// file registers itself in an init function.
var targets = map[string]func(TargetConfig) (any, error){}
