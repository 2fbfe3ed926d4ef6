// Package realtime is Parley's in-process hub: it keeps the subscriptions of
// the users connected to this node and fans each event out to them.
//
// It holds no sockets. The WebSocket handler in package http subscribes when
// a connection opens, writes what arrives on [Subscription.Frames], and
// unsubscribes when the connection closes. A broker bridge between nodes
// calls [Hub.Publish] with the events of other nodes, and a serverless
// deployment replaces the Hub with another [parley.Publisher] altogether;
// neither needs anything from here but that interface.
package realtime
