package rt

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Log appends a LogLine mutation (kong.log.<level>). The arguments are joined the way Lua's
// kong.log concatenates tostring()'d values: no separator, nil -> "nil", numbers with %.14g.
func (e *Event) Log(level pb.LogLevel, args []interface{}) error {
	if err := e.check(); err != nil {
		return err
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_Log{Log: &pb.LogLine{Level: level, Message: LuaConcat(args)}}})
	return nil
}

// LuaConcat joins values like Lua's tostring + concatenation.
func LuaConcat(args []interface{}) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	var b strings.Builder
	for _, a := range args {
		switch v := a.(type) {
		case nil:
			b.WriteString("nil")
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			fmt.Fprint(&b, v)
		case float32:
			b.WriteString(luaNumber(float64(v)))
		case float64:
			b.WriteString(luaNumber(v))
		case error:
			b.WriteString(v.Error())
		case fmt.Stringer:
			b.WriteString(v.String())
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func luaNumber(f float64) string {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// Serialize builds kong.log.serialize()'s JSON locally from the snapshot (no round trip).
// route and service carry ids only (the snapshot does not hold the full entities).
func (e *Event) Serialize() (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	c := e.call
	r := c.Request
	resp := c.GetResponse()
	li := c.GetLog()

	uri := r.Path
	if r.RawQuery != "" {
		uri += "?" + r.RawQuery
	}
	port := ""
	if !(r.Scheme == "http" && r.Port == 80) && !(r.Scheme == "https" && r.Port == 443) && r.Port != 0 {
		port = ":" + strconv.Itoa(int(r.Port))
	}
	qs := map[string]interface{}{}
	for _, a := range parseQuery(nil, r.RawQuery) {
		var v interface{} = a.value
		if a.flag {
			v = true
		}
		if old, ok := qs[a.key]; ok {
			if l, ok := old.([]interface{}); ok {
				qs[a.key] = append(l, v)
			} else {
				qs[a.key] = []interface{}{old, v}
			}
		} else {
			qs[a.key] = v
		}
	}
	out := map[string]interface{}{
		"request": map[string]interface{}{
			"uri":         uri,
			"url":         r.Scheme + "://" + r.Host + port + uri,
			"querystring": qs,
			"method":      r.Method,
			"headers":     serializeHeaders(r.Headers),
			"size":        li.GetBytesReceived(),
			"id":          r.RequestId,
		},
		"upstream_uri": li.GetUpstreamUri(),
		"response": map[string]interface{}{
			"status":  resp.GetStatus(),
			"headers": serializeHeaders(resp.GetHeaders()),
			"size":    li.GetBytesSent(),
		},
		"latencies": map[string]interface{}{
			"kong":    li.GetProxyLatencyMs(),
			"proxy":   li.GetUpstreamLatencyMs(),
			"request": li.GetRequestLatencyMs(),
			"receive": 0,
		},
		"client_ip":  r.ClientIp,
		"started_at": r.StartTimeMs,
		"source":     resp.GetSource(),
	}
	if c.RouteId != "" {
		out["route"] = map[string]interface{}{"id": c.RouteId}
	}
	if c.ServiceId != "" {
		out["service"] = map[string]interface{}{"id": c.ServiceId}
	}
	if t := li.GetUpstreamTarget(); t != "" {
		out["tries"] = []interface{}{map[string]interface{}{"ip": hostOf(t), "port": portOf(t)}}
		out["upstream_status"] = strconv.Itoa(int(resp.GetServiceStatus()))
	}
	if cons := c.Consumer; cons != nil {
		m := map[string]interface{}{"id": cons.Id}
		if cons.Username != "" {
			m["username"] = cons.Username
		}
		if cons.CustomId != "" {
			m["custom_id"] = cons.CustomId
		}
		out["consumer"] = m
	}
	if cr := c.Credential; cr != nil {
		out["authenticated_entity"] = map[string]interface{}{"id": cr.Id, "consumer_id": cr.ConsumerId}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func serializeHeaders(hs []*pb.Header) map[string]interface{} {
	m := map[string]interface{}{}
	for _, h := range hs {
		k := strings.ToLower(h.Name)
		if old, ok := m[k]; ok {
			if l, ok := old.([]string); ok {
				m[k] = append(l, h.Value)
			} else {
				m[k] = []string{old.(string), h.Value}
			}
		} else {
			m[k] = h.Value
		}
	}
	return m
}

func hostOf(hp string) string {
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		return hp[:i]
	}
	return hp
}

func portOf(hp string) int {
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		p, _ := strconv.Atoi(hp[i+1:])
		return p
	}
	return 0
}
