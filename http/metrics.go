package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// HubStats is what the metrics read of a hub that counts its work. The
// in-process hub does; a hub that does not is simply not measured.
type HubStats interface {
	Stats() (connections, deliveries, slowConsumers int64)
}

// metrics holds the server's Prometheus collectors, in a registry of its own
// so that two servers in one test process do not clash.
type metrics struct {
	registry *prometheus.Registry
	http     http.Handler
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the server's collectors. Counts that the service and
// hub keep themselves are read when scraped, so the hot paths pay nothing.
func newMetrics(svc *app.Service, hub parley.Hub) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total",
			Help: "HTTP requests served, by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if svc != nil {
		m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_messages_stored_total",
			Help: "Messages stored by this node (idempotent repeats not counted).",
		}, func() float64 { return float64(svc.MessagesStored()) }))
	}
	if hs, ok := hub.(HubStats); ok {
		stat := func(i int) func() float64 {
			return func() float64 {
				c, d, s := hs.Stats()
				return float64([]int64{c, d, s}[i])
			}
		}
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "parley_websocket_connections",
				Help: "Open WebSocket connections on this node.",
			}, stat(0)),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "parley_deliveries_total",
				Help: "Frames queued for delivery to WebSocket connections.",
			}, stat(1)),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "parley_slow_consumers_total",
				Help: "WebSocket connections closed because they could not keep up.",
			}, stat(2)),
		)
	}
	m.http = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

// observe counts one served request.
func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// handler serves the metrics in Prometheus' text format.
func (m *metrics) handler() http.Handler {
	return m.http
}
