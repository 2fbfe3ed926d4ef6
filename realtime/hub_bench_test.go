package realtime_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parleychat/parley/realtime"
)

// DrainedHub returns a hub with one subscription for each of n users, each
// drained by a goroutine of its own, the user IDs, and a function that ends
// it all and waits for the goroutines.
func DrainedHub(tb testing.TB, n int) (*realtime.Hub, []string, func()) {
	tb.Helper()
	hub := realtime.NewHub(0)
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%04d", i)
		s := hub.Subscribe(ids[i])
		wg.Go(func() {
			var buf [][]byte
			for open := true; open; {
				<-s.Ready()
				buf, open = s.Take(buf)
			}
		})
	}
	return hub, ids, func() { hub.Close(); wg.Wait() }
}

func BenchmarkPublish1000Users(b *testing.B) {
	hub, ids, done := DrainedHub(b, 1000)
	defer done()
	e := MustEvent(b, 1, ids...)

	b.ReportAllocs()
	for b.Loop() {
		hub.Publish(context.Background(), e)
	}
	_, _, slow := hub.Stats()
	b.ReportMetric(float64(slow), "slow")
}

func BenchmarkPublishDM(b *testing.B) {
	hub, ids, done := DrainedHub(b, 2)
	defer done()
	e := MustEvent(b, 1, ids...)

	b.ReportAllocs()
	for b.Loop() {
		hub.Publish(context.Background(), e)
	}
}

// BenchmarkSubscribe measures a Subscribe and Unsubscribe pair on a hub of
// 1,000 users, idle and while another goroutine publishes to all of them
// without pause: how long a connection waits to join when the hub is busiest.
func BenchmarkSubscribe(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := map[bool]string{false: "Idle", true: "DuringPublish"}[busy]
		b.Run(name, func(b *testing.B) {
			hub, ids, done := DrainedHub(b, 1000)
			defer done()
			e := MustEvent(b, 1, ids...)

			stop := make(chan struct{})
			var wg sync.WaitGroup
			if busy {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
							hub.Publish(context.Background(), e)
						}
					}
				})
			}

			b.ReportAllocs()
			for b.Loop() {
				hub.Unsubscribe(hub.Subscribe("newcomer"))
			}
			close(stop)
			wg.Wait()
		})
	}
}
