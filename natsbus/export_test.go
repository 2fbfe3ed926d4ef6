package natsbus

// Kill closes b as kill -9 would end its node: the connection drops with
// no goodbye, and its heartbeats stop.
func Kill(b *Bus) {
	b.shutdown(false)
}
