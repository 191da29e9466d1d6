package server

import (
	"encoding/json"
)

// pluginInfo is one entry of the -dump output, with go-pdk's field names (Kong reads Name,
// Phases, Version, Priority and Schema).
type pluginInfo struct {
	Name     string
	Phases   []string
	Version  string
	Priority int
	Schema   schemaTop
}

type dumpOutput struct {
	Protocol   string
	SocketPath string
	Plugins    []pluginInfo
}

// DumpProtocol is the "Protocol" of the -dump output.
const DumpProtocol = "Gantry:1"

func dumpInfo(plugins []*plugin, socket string) ([]byte, error) {
	out := dumpOutput{Protocol: DumpProtocol, SocketPath: socket}
	for _, p := range plugins {
		phases := p.kongPhases
		if phases == nil {
			phases = []string{}
		}
		out.Plugins = append(out.Plugins, pluginInfo{Name: p.name, Phases: phases, Version: p.version,
			Priority: p.priority, Schema: p.schema})
	}
	return json.Marshal(out)
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
