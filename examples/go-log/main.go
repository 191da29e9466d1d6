/*
	A log plugin in Go: in the Log phase (after the response was sent, never delaying the
	client) it appends one line per request to the file named by the `path` config:

		<method> <path> <status> <latency ms>

	Everything comes from the log-phase snapshot: no round trip to the gateway. The request
	latency is only exposed through kong.Log.Serialize(), so the plugin reads that one number
	out of the JSON text instead of decoding the whole document.

	Writes are buffered: lines go to a bufio.Writer per file (shared under a mutex, since the
	same config value serves concurrent events) and reach the file when the buffer fills, every
	flushInterval, and when the server stops. A buffer is only written out at line boundaries,
	so lines stay whole even if another process appends to the same file (O_APPEND).
*/

package main

import (
	"bufio"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/server"
)

func main() {
	err := server.StartServer(New, Version, Priority)
	// StartServer returns once the server stopped (Shutdown RPC, SIGTERM/SIGINT): write out
	// what is still buffered.
	flushAll()
	if err != nil {
		log.Fatal(err)
	}
}

var Version = "0.1"
var Priority = 9

type Config struct {
	Path string `json:"path"`
}

func New() interface{} {
	return &Config{}
}

const (
	// flushInterval bounds how long a line may wait in the buffer.
	flushInterval = 100 * time.Millisecond
	bufferSize    = 64 << 10
)

type logFile struct {
	f *os.File
	w *bufio.Writer
}

var (
	filesMu   sync.Mutex // guards files and every logFile's writer
	files     = map[string]*logFile{}
	flusherOn sync.Once
	line      []byte // scratch for one line, used under filesMu
)

// openLocked returns the buffered writer for path, opening the file on first use.
func openLocked(path string) (*logFile, error) {
	if lf, ok := files[path]; ok {
		return lf, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	lf := &logFile{f: f, w: bufio.NewWriterSize(f, bufferSize)}
	files[path] = lf
	flusherOn.Do(func() { go flushEvery(flushInterval) })
	return lf, nil
}

// writeLine appends one line to path's buffer; a full buffer is written out first, so every
// write(2) carries whole lines.
func writeLine(path, method, reqPath string, status int, latencyMs float64) error {
	filesMu.Lock()
	defer filesMu.Unlock()
	lf, err := openLocked(path)
	if err != nil {
		return err
	}
	b := append(line[:0], method...)
	b = append(b, ' ')
	b = append(b, reqPath...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, latencyMs, 'f', 0, 64) // as "%.0f"
	b = append(b, '\n')
	line = b
	if lf.w.Buffered() > 0 && lf.w.Available() < len(b) {
		if err := lf.w.Flush(); err != nil {
			lf.w.Reset(lf.f) // drop what could not be written rather than retry forever
			return err
		}
	}
	if _, err := lf.w.Write(b); err != nil { // a line longer than the buffer goes straight out
		lf.w.Reset(lf.f)
		return err
	}
	return nil
}

func flushEvery(d time.Duration) {
	for range time.Tick(d) {
		flushAll()
	}
}

// flushAll writes out every file's buffered lines.
func flushAll() {
	filesMu.Lock()
	defer filesMu.Unlock()
	for path, lf := range files {
		if lf.w.Buffered() == 0 {
			continue
		}
		if err := lf.w.Flush(); err != nil {
			log.Printf("go-log: %s: %v", path, err)
			lf.w.Reset(lf.f)
		}
	}
}

// requestLatency reads latencies.request (milliseconds) out of kong.Log.Serialize()'s JSON
// (0 if absent). Strings in the JSON escape every '"', so `"latencies":{` only matches the real key, and
// that object holds numbers only.
func requestLatency(serialized string) float64 {
	i := strings.Index(serialized, `"latencies":{`)
	if i < 0 {
		return 0
	}
	obj := serialized[i:]
	if end := strings.IndexByte(obj, '}'); end >= 0 {
		obj = obj[:end]
	}
	const key = `"request":`
	j := strings.Index(obj, key)
	if j < 0 {
		return 0
	}
	num := obj[j+len(key):]
	if k := strings.IndexByte(num, ','); k >= 0 {
		num = num[:k]
	}
	ms, _ := strconv.ParseFloat(num, 64)
	return ms
}

func (conf *Config) Log(kong *pdk.PDK) {
	method, _ := kong.Request.GetMethod()
	path, _ := kong.Request.GetPath()
	status, _ := kong.Response.GetStatus()
	var latency float64
	if text, err := kong.Log.Serialize(); err == nil {
		latency = requestLatency(text)
	}
	if err := writeLine(conf.Path, method, path, status, latency); err != nil {
		log.Printf("go-log: %v", err)
	}
}
