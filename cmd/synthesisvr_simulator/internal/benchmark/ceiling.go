// Package benchmark measures the exporter against the ceiling of the machine it runs
// on, in one run: a bare gin handler that reads the body and answers 204 takes the
// same load as the exporter with each store, so that the figures are read as ratios,
// which drift far less than absolute numbers on a shared machine.
package benchmark

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Ceiling returns the bare handler: the same router and route as the exporter's
// receiver, reading the whole body and answering 204, with nothing else done.
func Ceiling() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/webhook/:token", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		c.Status(http.StatusNoContent)
	})
	r.GET("/-/ready", func(c *gin.Context) { c.Status(http.StatusOK) })
	return r
}
