package slackimport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/slackimport"
	"github.com/parleychat/parley/sqlite"
)

// BenchmarkImport100k imports a synthetic export of 100,000 messages in 20
// channels (a fifth of them thread replies, one in ten with reactions)
// into a fresh SQLite file, and reports messages per second.
//
//	go test -run - -bench Import100k -benchtime 1x ./slackimport/
func BenchmarkImport100k(b *testing.B) {
	const channels, days, perDay, users = 20, 100, 50, 50
	dir := writeSyntheticExport(b, channels, days, perDay, users)
	const total = channels * days * perDay

	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		store, err := sqlite.Open(filepath.Join(b.TempDir(), fmt.Sprintf("bench-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		svc := &app.Service{Store: store}
		if err := svc.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		im := &slackimport.Importer{Service: svc}
		b.StartTimer()

		start := time.Now()
		rep, err := im.Import(context.Background(), dir)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		} else if rep.Messages != total || len(rep.Failed)+len(rep.Skipped)+len(rep.Orphans) > 0 {
			b.Fatalf("imported %d messages, want %d; report:\n%s", rep.Messages, total, rep)
		}
		b.StopTimer()
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/import")
}

// writeSyntheticExport writes an export of the given shape into a
// temporary folder and returns its path. Every fifth message replies to
// the thread of the message four before it; every tenth has reactions.
func writeSyntheticExport(tb testing.TB, channels, days, perDay, users int) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "synthetic")
	write := func(name string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}

	var userList, members []string
	var usersJSON []map[string]any
	for u := range users {
		id := fmt.Sprintf("U%04d", u)
		userList = append(userList, id)
		members = append(members, id)
		usersJSON = append(usersJSON, map[string]any{
			"id": id, "name": fmt.Sprintf("user%d", u), "is_owner": u == 0,
			"profile": map[string]any{"email": fmt.Sprintf("user%d@example.com", u)},
		})
	}
	write("users.json", usersJSON)

	var channelsJSON []map[string]any
	start := time.Date(2023, 1, 1, 9, 0, 0, 0, time.UTC)
	for c := range channels {
		name := fmt.Sprintf("channel-%02d", c)
		channelsJSON = append(channelsJSON, map[string]any{
			"id": fmt.Sprintf("C%04d", c), "name": name, "created": start.Unix(),
			"creator": userList[0], "is_general": c == 0, "members": members,
		})
		for d := range days {
			day := start.AddDate(0, 0, d)
			var msgs []map[string]any
			var stamps []string
			for i := range perDay {
				stamp := fmt.Sprintf("%d.%06d", day.Add(time.Duration(i)*time.Minute).Unix(), c*1000+i)
				stamps = append(stamps, stamp)
				m := map[string]any{
					"type": "message", "user": userList[(c+d+i)%users], "ts": stamp,
					"text": fmt.Sprintf("message %d of day %d in %s, for <@%s> &amp; see <https://example.com/%d|this>",
						i, d, name, userList[i%users], i),
				}
				if i%5 == 4 {
					m["thread_ts"] = stamps[i-4]
				}
				if i%10 == 0 {
					m["reactions"] = []map[string]any{
						{"name": "thumbsup", "users": []string{userList[1], userList[2]}, "count": 2},
						{"name": "tada", "users": []string{userList[3]}, "count": 1},
					}
				}
				msgs = append(msgs, m)
			}
			write(filepath.Join(name, day.Format("2006-01-02")+".json"), msgs)
		}
	}
	write("channels.json", channelsJSON)
	return dir
}
