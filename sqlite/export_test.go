package sqlite

import "context"

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
