package app

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkInOrder measures pushes of one stream made by many goroutines at
// once, started last position first, so that nearly all of them wait for
// their turn: as a busy channel's sends do when the store commits them
// together.
func BenchmarkInOrder(b *testing.B) {
	for _, waiting := range []int{10, 1000} {
		b.Run(fmt.Sprint(waiting), func(b *testing.B) {
			var po pushOrder
			var pos int64
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for i := int64(waiting); i >= 1; i-- {
					wg.Go(func() { po.inOrder("C1", pos+i, func() {}) })
				}
				wg.Wait()
				pos += int64(waiting)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*waiting), "ns/push")
		})
	}
}
