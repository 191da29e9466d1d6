package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// instance is one plugin configuration, created by Configure and shared by all concurrent
// events that name its id (as in go-pdk, the config value is used concurrently).
type instance struct {
	id       uint64
	plugin   *plugin
	config   interface{}
	cfgJSON  string
	handlers handlers
}

// InstanceIniter may be implemented by a config type (Gantry extension): Init is called once
// after the configuration was decoded, before any event; an error rejects the instance.
type InstanceIniter interface {
	Init() error
}

// InstanceInitializer is the alternative name for the same hook.
type InstanceInitializer interface {
	InitInstance() error
}

// instanceTable is copy-on-write: events read it with one atomic load, Configure (rare)
// replaces it under a mutex.
type instanceTable struct {
	mu  sync.Mutex
	cur atomic.Pointer[map[uint64]*instance]
}

func (t *instanceTable) get(id uint64) *instance {
	m := t.cur.Load()
	if m == nil {
		return nil
	}
	return (*m)[id]
}

// configure applies a ConfigureRequest and answers per instance, in order.
func (t *instanceTable) configure(plugins map[string]*plugin, req *pb.ConfigureRequest) *pb.ConfigureResponse {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := map[uint64]*instance{}
	if m := t.cur.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	for _, id := range req.CloseInstanceIds {
		delete(next, id)
	}
	resp := &pb.ConfigureResponse{Results: make([]*pb.InstanceResult, 0, len(req.Instances))}
	for _, ic := range req.Instances {
		r := &pb.InstanceResult{InstanceId: ic.InstanceId, Ok: true}
		if old := next[ic.InstanceId]; old != nil && old.plugin.name == ic.PluginName && old.cfgJSON == ic.ConfigJson {
			resp.Results = append(resp.Results, r) // idempotent: keep the running instance
			continue
		}
		inst, err := newInstance(plugins, ic)
		if err != nil {
			r.Ok, r.Error = false, err.Error()
		} else {
			next[ic.InstanceId] = inst
		}
		resp.Results = append(resp.Results, r)
	}
	t.cur.Store(&next)
	return resp
}

func newInstance(plugins map[string]*plugin, ic *pb.InstanceConfig) (*instance, error) {
	p := plugins[ic.PluginName]
	if p == nil {
		return nil, fmt.Errorf("unknown plugin %q", ic.PluginName)
	}
	conf, err := decodeConfig(p, ic.ConfigJson)
	if err != nil {
		return nil, err
	}
	if in, ok := conf.(InstanceIniter); ok {
		if err := callInit(in.Init); err != nil {
			return nil, fmt.Errorf("config: %v", err)
		}
	} else if in, ok := conf.(InstanceInitializer); ok {
		if err := callInit(in.InitInstance); err != nil {
			return nil, fmt.Errorf("config: %v", err)
		}
	}
	return &instance{id: ic.InstanceId, plugin: p, config: conf, cfgJSON: ic.ConfigJson, handlers: bindHandlers(conf)}, nil
}

func callInit(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("init panicked: %v", r)
		}
	}()
	return f()
}

// decodeConfig fills a fresh constructor() value from the config JSON with encoding/json
// (case-insensitive names, unknown keys ignored, as go-pdk). Errors name the field:
// "config.<field>: expected <type>, got <json type>".
func decodeConfig(p *plugin, text string) (interface{}, error) {
	conf := p.constructor()
	data := bytes.TrimSpace([]byte(text))
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return conf, nil
	}
	target := conf
	if reflect.TypeOf(conf).Kind() != reflect.Ptr {
		// A value config (New returns Config{}): decode into a pointer copy, hand out the value.
		pv := reflect.New(reflect.TypeOf(conf))
		pv.Elem().Set(reflect.ValueOf(conf))
		target = pv.Interface()
		if err := json.Unmarshal(data, target); err != nil {
			return nil, configError(err, p.configType)
		}
		return pv.Elem().Interface(), nil
	}
	if err := json.Unmarshal(data, target); err != nil {
		return nil, configError(err, p.configType)
	}
	return conf, nil
}

func configError(err error, t reflect.Type) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := schemaPath(t, te.Field)
		if field == "" {
			return fmt.Errorf("config: expected %s, got %s", typeName(te.Type), te.Value)
		}
		return fmt.Errorf("config.%s: expected %s, got %s", field, typeName(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("config: invalid JSON at offset %d: %v", se.Offset, se)
	}
	return fmt.Errorf("config: %v", err)
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a record"
	}
	return t.String()
}

// schemaPath turns encoding/json's Go field path ("Limits.Max") into the schema's names
// ("limits.max": the json tag's name or the lower-cased field name).
func schemaPath(t reflect.Type, goPath string) string {
	if goPath == "" {
		return ""
	}
	parts := strings.Split(goPath, ".")
	for i, part := range parts {
		for t != nil && (t.Kind() == reflect.Ptr || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			parts[i] = strings.ToLower(part)
			t = nil
			continue
		}
		f, ok := t.FieldByName(part)
		if !ok {
			parts[i] = strings.ToLower(part)
			t = nil
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		parts[i] = name
		t = f.Type
	}
	return strings.Join(parts, ".")
}
