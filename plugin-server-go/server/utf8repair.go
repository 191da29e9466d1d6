package server

import (
	"log"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// repairUTF8 replaces invalid UTF-8 in every string field of m (recursively) with U+FFFD and
// reports whether it changed anything. proto3 string fields must be UTF-8: without this, one
// plugin that sets a header or logs a line with stray bytes would make the whole ReplyBatch fail
// to encode, and with it the Events stream and every request in flight on it. Only runs after an
// encode failed, so the common path pays nothing.
func repairUTF8(m protoreflect.Message) bool {
	changed := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if nv, ok := repaired(fd.Kind(), l.Get(i)); ok {
					l.Set(i, nv)
					changed = true
				}
			}
		case fd.IsMap():
			// Entries are replaced after Range: the map must not change while it is ranged over.
			type fix struct {
				k, nk  protoreflect.MapKey
				newKey bool
				v      protoreflect.Value
			}
			var fixes []fix
			mp := v.Map()
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				nk, kok := repaired(fd.MapKey().Kind(), k.Value())
				nv, vok := repaired(fd.MapValue().Kind(), mv)
				if kok || vok {
					fixes = append(fixes, fix{k, nk.MapKey(), kok, nv})
				}
				return true
			})
			for _, f := range fixes {
				if f.newKey {
					mp.Clear(f.k)
				}
				mp.Set(f.nk, f.v)
				changed = true
			}
		default:
			if nv, ok := repaired(fd.Kind(), v); ok {
				m.Set(fd, nv)
				changed = true
			}
		}
		return true
	})
	return changed
}

// repaired returns v, a value of the given kind, with invalid UTF-8 replaced, and whether it
// changed: a string is returned repaired, a message is repaired in place (and returned).
func repaired(kind protoreflect.Kind, v protoreflect.Value) (protoreflect.Value, bool) {
	switch kind {
	case protoreflect.StringKind:
		if s := v.String(); !utf8.ValidString(s) {
			return protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")), true
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return v, repairUTF8(v.Message())
	}
	return v, false
}

var warnUTF8Once sync.Once

func warnRepairedUTF8() {
	warnUTF8Once.Do(func() {
		log.Printf("gantry pdk: a plugin set a string (header, path, log line, ...) that is not valid UTF-8; " +
			"invalid bytes were replaced with U+FFFD (protobuf strings must be UTF-8). Logged once.")
	})
}
