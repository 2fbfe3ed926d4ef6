// Package realtime is Parley's in-process hub: it keeps the subscriptions of
// the users connected to this node and fans each event out to them.
//
// It holds no sockets. The WebSocket handler in package http subscribes when
// a connection opens, writes what [Subscription.Take] returns whenever
// [Subscription.Ready] signals, and unsubscribes when the connection closes.
// A broker bridge between nodes (package natsbus) calls [Hub.Publish] with
// the events of other nodes, and [Hub.EndAll] when some may have been lost;
// a serverless deployment replaces the Hub with another [parley.Publisher]
// altogether.
package realtime
