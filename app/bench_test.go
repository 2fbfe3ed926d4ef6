package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/sqlite"
)

// BenchmarkPostChannelMessage measures a send through every rule: the
// caller's membership, mentions, the durable append with its change, and
// the push to a channel of 100 members, on a SQLite file with fsync, from
// many goroutines at once as an HTTP server would call it.
func BenchmarkPostChannelMessage(b *testing.B) {
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := &app.Service{Store: store, Events: discard{}, PasswordCost: 4}
	if err := svc.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	annCtx, _ := MustSignup(b, svc, "ann@example.com")
	var emails []string
	for i := range 99 {
		email := fmt.Sprintf("u%d@example.com", i)
		MustSignup(b, svc, email)
		emails = append(emails, email)
	}
	ws := MustCreateWorkspace(b, svc, annCtx, "bench", emails...)
	general := ws.Channels[0]

	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: "hello, world"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// discard is a Publisher that drops every event.
type discard struct{}

func (discard) Publish(context.Context, *parley.Event) {}
