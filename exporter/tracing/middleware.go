package tracing

import (
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
)

// Middleware returns the gin handlers that give each request of a route a server
// span, named by the method and route template; nil when tracing is off.
//
// The request's path is replaced by its route template before the span starts, so
// a secret path segment (the webhook token) reaches neither the span name nor its
// url.path attribute; the route's handlers read their parameters from gin, not
// from the path. Incoming trace headers are not followed: the webhook faces the
// internet, and SynthesisVR sends none.
func (s *Spans) Middleware() []gin.HandlerFunc {
	if !s.on {
		return nil
	}
	return []gin.HandlerFunc{
		redactPath,
		otelgin.Middleware("",
			otelgin.WithTracerProvider(s.provider),
			otelgin.WithPropagators(propagation.NewCompositeTextMapPropagator()),
			otelgin.WithMeterProvider(metricnoop.NewMeterProvider())),
	}
}

// redactPath puts the route template in place of the request's path and drops its
// query, on a copy of the request.
func redactPath(c *gin.Context) {
	route := c.FullPath()
	r := c.Request.WithContext(c.Request.Context())
	u := *r.URL
	u.Path, u.RawPath, u.RawQuery = route, "", ""
	r.URL = &u
	r.RequestURI = route
	c.Request = r
}
