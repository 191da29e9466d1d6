/*
	A log plugin in Go: in the Log phase (after the response was sent, never delaying the
	client) it appends one line per request to the file named by the `path` config:

		<method> <path> <status> <latency ms>

	Everything comes from the log-phase snapshot: no round trip to the gateway.
	The same config value serves concurrent events, so the open files are shared under a mutex.
*/

package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/server"
)

func main() {
	server.StartServer(New, Version, Priority)
}

var Version = "0.1"
var Priority = 9

type Config struct {
	Path string `json:"path"`
}

func New() interface{} {
	return &Config{}
}

var (
	filesMu sync.Mutex
	files   = map[string]*os.File{}
)

func file(path string) (*os.File, error) {
	filesMu.Lock()
	defer filesMu.Unlock()
	if f, ok := files[path]; ok {
		return f, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	files[path] = f
	return f, nil
}

type serialized struct {
	Latencies struct {
		Request float64 `json:"request"`
	} `json:"latencies"`
}

func (conf *Config) Log(kong *pdk.PDK) {
	method, _ := kong.Request.GetMethod()
	path, _ := kong.Request.GetPath()
	status, _ := kong.Response.GetStatus()
	var s serialized
	if text, err := kong.Log.Serialize(); err == nil {
		_ = json.Unmarshal([]byte(text), &s)
	}
	f, err := file(conf.Path)
	if err != nil {
		log.Printf("go-log: %v", err)
		return
	}
	// One write per line: O_APPEND keeps concurrent lines whole.
	fmt.Fprintf(f, "%s %s %d %.0f\n", method, path, status, s.Latencies.Request)
}
