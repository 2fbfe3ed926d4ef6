package sqlite

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/parleychat/parley"
)

// WriterPragma returns the value of PRAGMA name on the writer's connection.
func WriterPragma(s *Store, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v)
	return v, err
}

// ReaderPragma returns the value of PRAGMA name on a reader's connection.
func ReaderPragma(s *Store, name string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v)
	return v, err
}

// Analyze gathers the statistics the query planner weighs indexes with, as
// PRAGMA optimize does in time on a database in use.
func Analyze(s *Store) error {
	_, err := s.db.ExecContext(context.Background(), "ANALYZE")
	return err
}

// MessagesPlan returns the query plans of the two queries of Messages with
// f: the page's, and its reactions' for a page of the given message IDs.
// The plans are read on the writer's connection, the one that ran Analyze.
func MessagesPlan(s *Store, conversationID string, f parley.MessageFilter,
	ids []string) (page, reactions string, err error) {
	query, args := pageQuery(conversationID, f)
	if page, err = queryPlan(s, query, args...); err != nil {
		return "", "", err
	}
	idList, _ := json.Marshal(ids)
	reactions, err = queryPlan(s, reactionsQuery, string(idList))
	return page, reactions, err
}

// queryPlan returns the steps of EXPLAIN QUERY PLAN for query, one a line.
func queryPlan(s *Store, query string, args ...any) (string, error) {
	rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()

	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n"), rows.Err()
}

// ReadPlans returns the query plans of CountUnread, ReadMarkers and
// DirectConversations, read on the writer's connection, the one that ran
// Analyze.
func ReadPlans(s *Store, conversationID, userID string, afterSeq int64,
	conversationIDs []string) (countUnread, readMarkers, directConversations string, err error) {
	countUnread, err = queryPlan(s, countUnreadQuery, conversationID, userID, afterSeq)
	if err != nil {
		return "", "", "", err
	}
	idList, _ := json.Marshal(conversationIDs)
	if readMarkers, err = queryPlan(s, readMarkersQuery, string(idList), userID); err != nil {
		return "", "", "", err
	}
	directConversations, err = queryPlan(s, directConversationsQuery, userID)
	return countUnread, readMarkers, directConversations, err
}

// Count returns the number of rows in table, read on the writer's
// connection.
func Count(s *Store, table string) (int, error) {
	var n int
	err := s.db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// ChangePlans returns the query plans of Changes (its read of the changes),
// Streams, and the two statements of PruneChanges, read on the writer's
// connection, the one that ran Analyze.
func ChangePlans(s *Store, stream, userID string) (changes, streams, floors, prune string,
	err error) {
	if changes, err = queryPlan(s, changesQuery, stream, 0, 100); err != nil {
		return "", "", "", "", err
	}
	if streams, err = queryPlan(s, streamsQuery, userID); err != nil {
		return "", "", "", "", err
	}
	if floors, err = queryPlan(s, raiseFloorsQuery, 0); err != nil {
		return "", "", "", "", err
	}
	prune, err = queryPlan(s, pruneQuery, 0)
	return changes, streams, floors, prune, err
}
