package server

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// plugin is one registered plugin type: its constructor and what reflection found once at start.
type plugin struct {
	name        string
	constructor func() interface{}
	version     string
	priority    int
	configType  reflect.Type
	kongPhases  []string   // go-pdk handler names, lower-case, for -dump
	phases      []pb.Phase // phases the gateway may send
	bodyPhases  []pb.Phase
	schema      schemaTop
}

// methodNames are go-pdk's handler names (order kept for -dump), plus Gantry's HeaderFilter.
var methodNames = [...]string{"Certificate", "Rewrite", "Access", "Response", "Preread", "Log", "HeaderFilter"}

var gantryPhase = map[string]pb.Phase{
	"rewrite":       pb.Phase_PHASE_REWRITE,
	"access":        pb.Phase_PHASE_ACCESS,
	"response":      pb.Phase_PHASE_RESPONSE,
	"header_filter": pb.Phase_PHASE_HEADER_FILTER,
	"log":           pb.Phase_PHASE_LOG,
}

func snake(name string) string {
	if name == "HeaderFilter" {
		return "header_filter"
	}
	return strings.ToLower(name)
}

// RequestBodyPhaser may be implemented by a config type (Gantry extension) to have the request
// body sent in the snapshot of these phases ("rewrite", "access"), saving the fetch round trip
// of Request.GetRawBody.
type RequestBodyPhaser interface {
	RequestBodyPhases() []string
}

func newPlugin(name string, constructor func() interface{}, version string, priority int) (*plugin, error) {
	ct := reflect.TypeOf(constructor)
	if constructor == nil || ct == nil {
		return nil, errors.New("nil constructor")
	}
	if ct.Kind() != reflect.Func || ct.NumIn() != 0 || ct.NumOut() != 1 {
		return nil, errors.New("wrong constructor signature: want func() interface{}")
	}
	sample := constructor()
	if sample == nil {
		return nil, errors.New("constructor returned nil")
	}
	p := &plugin{name: name, constructor: constructor, version: version, priority: priority,
		configType: reflect.TypeOf(sample)}
	for _, m := range methodNames {
		if _, ok := p.configType.MethodByName(m); ok {
			n := snake(m)
			p.kongPhases = append(p.kongPhases, n)
			if ph, ok := gantryPhase[n]; ok {
				p.phases = append(p.phases, ph)
			}
		}
	}
	if bp, ok := sample.(RequestBodyPhaser); ok {
		for _, n := range bp.RequestBodyPhases() {
			ph, ok := gantryPhase[n]
			if !ok {
				return nil, fmt.Errorf("RequestBodyPhases: unknown phase %q", n)
			}
			p.bodyPhases = append(p.bodyPhases, ph)
		}
	}
	p.schema = schemaTop{Name: name, Fields: []schemaDict{{"config": getSchemaDict(p.configType)}}}
	return p, nil
}

// handlers holds an instance's phase methods, bound once at Configure (no reflection per event).
type handlers [pb.Phase_PHASE_LOG + 1]func(*pdk.PDK)

// HeaderFilterer is the Gantry streaming extension: a config type with this method is called in
// the header_filter phase (response head, body not buffered).
type HeaderFilterer interface {
	HeaderFilter(kong *pdk.PDK)
}

func bindHandlers(conf interface{}) (h handlers) {
	if x, ok := conf.(interface{ Rewrite(*pdk.PDK) }); ok {
		h[pb.Phase_PHASE_REWRITE] = x.Rewrite
	}
	if x, ok := conf.(interface{ Access(*pdk.PDK) }); ok {
		h[pb.Phase_PHASE_ACCESS] = x.Access
	}
	if x, ok := conf.(interface{ Response(*pdk.PDK) }); ok {
		h[pb.Phase_PHASE_RESPONSE] = x.Response
	}
	if x, ok := conf.(HeaderFilterer); ok {
		h[pb.Phase_PHASE_HEADER_FILTER] = x.HeaderFilter
	}
	if x, ok := conf.(interface{ Log(*pdk.PDK) }); ok {
		h[pb.Phase_PHASE_LOG] = x.Log
	}
	return h
}
