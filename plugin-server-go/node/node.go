// Package node is kong.node: facts about the gateway node.
package node

import (
	"os"
	"runtime"

	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Node is kong.node; one per PDK.
type Node struct {
	bridge.PdkBridge
}

type workerLuaVmStats struct {
	HttpAllocatedGc int64 `json:"http_allocated_gc"`
	Pid             int64 `json:"pid"`
}

// MemoryStats has go-pdk's shape. Gantry has no Lua VMs or shared dicts: the one "worker" entry
// describes this plugin server process (Go heap bytes, pid).
type MemoryStats struct {
	LuaSharedDicts struct {
		Kong struct {
			AllocatedSlabs int64 `json:"allocated_slabs"`
			Capacity       int64 `json:"capacity"`
		} `json:"kong"`
		KongDbCache struct {
			AllocatedSlabs int64 `json:"allocated_slabs"`
			Capacity       int64 `json:"capacity"`
		} `json:"kong_db_cache"`
	} `json:"lua_shared_dicts"`
	WorkersLuaVms []workerLuaVmStats `json:"workers_lua_vms"`
}

// GetId returns the gateway node's id (one round trip the first time, then cached).
func (n Node) GetId() (string, error) { return rt.EventOf(n.PdkBridge).NodeID() }

// GetMemoryStats returns memory statistics (of this plugin server, see MemoryStats).
func (n Node) GetMemoryStats() (MemoryStats, error) {
	var ms MemoryStats
	if _, err := rt.EventOf(n.PdkBridge).ReqString("method"); err != nil {
		return ms, err
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	ms.WorkersLuaVms = []workerLuaVmStats{{HttpAllocatedGc: int64(m.HeapAlloc), Pid: int64(os.Getpid())}}
	return ms, nil
}
