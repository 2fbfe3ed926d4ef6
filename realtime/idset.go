package realtime

import (
	"slices"
	"sync"
)

// smallSet is the number of user IDs up to which an idSet searches a slice
// rather than a map. Most events go to a direct conversation or a small
// channel, and a few string comparisons cost less than hashing.
const smallSet = 16

// idSet finds repeated user IDs in one event without allocating: small
// events are checked against a short array, large ones against a map kept
// in a pool and reused. A map grown by a very large event keeps its size
// while pooled, until a garbage collection empties the pool.
type idSet struct {
	small [smallSet]string
	n     int
	large map[string]struct{}
}

var mapPool = sync.Pool{New: func() any { return make(map[string]struct{}) }}

// newIDSet returns an empty set fit for size IDs.
func newIDSet(size int) idSet {
	if size <= smallSet {
		return idSet{}
	}
	return idSet{large: mapPool.Get().(map[string]struct{})}
}

// add adds id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if s.large != nil {
		if _, ok := s.large[id]; ok {
			return false
		}
		s.large[id] = struct{}{}
		return true
	}

	if slices.Contains(s.small[:s.n], id) {
		return false
	}
	s.small[s.n] = id
	s.n++
	return true
}

// release returns the set's map, emptied, to the pool.
func (s *idSet) release() {
	if s.large != nil {
		clear(s.large)
		mapPool.Put(s.large)
		s.large = nil
	}
}
