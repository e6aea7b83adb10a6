package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// OpBackup labels GET /api/v1/backup on synthesisvr_admin_requests_total.
const OpBackup = "backup"

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

// backup serves GET /api/v1/backup: the bolt file, copied hot (bbolt's own
// backup, a read transaction streamed while webhooks keep committing). A store
// without a file (memory, Redis) answers 501 with what to do instead.
func (h *Handler) backup(c *gin.Context) {
	if h.o.Backup == nil {
		h.answer(c, OpBackup, http.StatusNotImplemented, errorBody{Error: "backup is for --storage.backend=bolt; with Redis back up Redis itself (its RDB or AOF file); the memory backend keeps nothing"})
		return
	}
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(backupWriteTime))
	name := "synthesisvr-" + h.o.Now().UTC().Format("20060102T150405Z") + ".db"
	n, err := h.o.Backup.Backup(c.Request.Context(), c.Writer, func(size int64) {
		c.Header("Content-Type", "application/octet-stream")
		c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		c.Header("Content-Length", strconv.FormatInt(size, 10))
		c.Status(http.StatusOK)
	})
	switch {
	case err != nil && !c.Writer.Written():
		h.failed(c, OpBackup, err, "err", err)
	case err != nil:
		// Past the first byte the status is sent: the body falls short of the
		// announced Content-Length, which tells the client the copy is incomplete.
		h.o.Logger.Error("Admin API: backup cut short", "operation", OpBackup, "bytes", n, "remote", c.ClientIP(), "err", err)
		h.count(OpBackup, http.StatusInternalServerError)
	default:
		h.o.Logger.Info("Admin API: backup written", "operation", OpBackup, "bytes", n, "remote", c.ClientIP())
		h.count(OpBackup, http.StatusOK)
	}
}
