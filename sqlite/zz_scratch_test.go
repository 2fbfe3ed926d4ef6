package sqlite

import (
	"context"
	"fmt"
	"testing"
)

func TestScratchPlans(t *testing.T) {
	s, err := Open(t.TempDir() + "/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{
		`SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = 'a' AND in_history = 1 AND seq < 10 ORDER BY seq DESC LIMIT 51`,
		`SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = 'a' AND in_history = 1 AND seq > 10 ORDER BY seq LIMIT 51`,
		`SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = 'a' AND parent_id = 'p' AND seq < 10 ORDER BY seq DESC LIMIT 51`,
		`SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = 'a' AND parent_id = 'p' AND seq > 10 ORDER BY seq LIMIT 51`,
		`SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = 'a' AND seq < 10 ORDER BY seq DESC LIMIT 51`,
		`SELECT message_id, user_id, name FROM reactions WHERE message_id IN (SELECT value FROM json_each('["a","b"]')) ORDER BY id`,
		`SELECT channel_id, message_id, pinned_by, pinned_at FROM pins WHERE channel_id = 'c' ORDER BY pinned_at DESC, rowid DESC`,
		`UPDATE messages SET reply_count = reply_count + 1, last_reply_at = 5 WHERE id = 'x' AND conversation_id = 'c'`,
		`DELETE FROM channels WHERE id = 'x'`,
	} {
		rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(q[:min(len(q), 300)])
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			fmt.Println("   ", detail)
		}
		rows.Close()
	}
}
