package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Backuper writes a consistent copy of the store's file while the exporter runs;
// the bolt store is one. It must be safe to call concurrently with every other
// method of the store.
type Backuper interface {
	// Backup writes the copy to w, calling size with its length before the first
	// byte, and returns the bytes written.
	Backup(ctx context.Context, w io.Writer, size func(int64)) (int64, error)
}

// backupWriteTime bounds the streaming of one backup: the server's WriteTimeout
// would cut a large file on a slow link.
const backupWriteTime = 10 * time.Minute

// backup serves GET /api/v1/backup (admin API): the bolt file, copied hot. A store
// without a file (memory, Redis) answers 501 with what to do instead.
func (o Options) backup(c *gin.Context) {
	if o.Backup == nil {
		c.String(http.StatusNotImplemented, "Backup is for --storage.backend=bolt; with Redis back up Redis itself (its RDB or AOF file), the memory backend keeps nothing.\n")
		return
	}
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(backupWriteTime))
	name := "synthesisvr-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	c.Header("Content-Type", "application/octet-stream")
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	n, err := o.Backup.Backup(c.Request.Context(), c.Writer, func(size int64) {
		c.Header("Content-Length", strconv.FormatInt(size, 10))
		c.Status(http.StatusOK)
	})
	if err != nil {
		if n == 0 && !c.Writer.Written() {
			c.String(http.StatusServiceUnavailable, "Backup failed: %v\n", err)
		}
		// Past the first byte the status is sent: the short body (Content-Length
		// was announced) tells the client the copy is incomplete.
		o.Logger.Error("Backup failed", "bytes", n, "err", err)
		return
	}
	o.Logger.Info("Backup written", "bytes", n, "remote", c.ClientIP())
}
