#include "tasks/parquet/metadata.h"

#include "tasks/parquet/thrift_compact.h"

namespace bhasa::tasks::parquet {
namespace {

template <typename E>
E EnumField(ThriftReader& t, int32_t max, const char* what) {
  const int32_t v = t.I32();
  if (v < 0 || v > max) throw Error(std::string("bad ") + what + " " + std::to_string(v));
  return static_cast<E>(v);
}

// LogicalType is a union of empty structs (for the kinds used here).
void ReadLogicalType(ThriftReader& t, SchemaElement& e) {
  t.BeginStruct();
  ThriftField f;
  while (t.NextField(f)) {
    if (f.id == 1) e.logical_string = true;
    if (f.id == 2) e.logical_map = true;
    if (f.id == 3) e.logical_list = true;
    t.Skip(f.type);
  }
}

SchemaElement ReadSchemaElement(ThriftReader& t) {
  SchemaElement e;
  t.BeginStruct();
  ThriftField f;
  while (t.NextField(f)) {
    switch (f.id) {
      case 1: e.type = EnumField<PhysicalType>(t, 7, "physical type"); break;
      case 3: e.repetition = EnumField<Repetition>(t, 2, "repetition type"); break;
      case 4: e.name = t.String(); break;
      case 5:
        e.num_children = t.I32();
        if (e.num_children < 0) throw Error("schema element '" + e.name + "': negative num_children");
        break;
      case 6: e.converted_type = t.I32(); break;
      case 10: ReadLogicalType(t, e); break;
      default: t.Skip(f.type);
    }
  }
  return e;
}

ColumnMetaData ReadColumnMetaData(ThriftReader& t) {
  ColumnMetaData m;
  t.BeginStruct();
  ThriftField f;
  while (t.NextField(f)) {
    switch (f.id) {
      case 1: m.type = EnumField<PhysicalType>(t, 7, "physical type"); break;
      case 2: {
        ThriftList l = t.List();
        for (uint32_t i = 0; i < l.size; ++i) m.encodings.push_back(static_cast<Encoding>(t.I32()));
        break;
      }
      case 3: {
        ThriftList l = t.List();
        for (uint32_t i = 0; i < l.size; ++i) m.path.push_back(t.String());
        break;
      }
      case 4: m.codec = EnumField<Codec>(t, 7, "compression codec"); break;
      case 5: m.num_values = t.I64(); break;
      case 7: m.total_compressed_size = t.I64(); break;
      case 9: m.data_page_offset = t.I64(); break;
      case 11: m.dictionary_page_offset = t.I64(); break;
      default: t.Skip(f.type);
    }
  }
  if (m.num_values < 0 || m.total_compressed_size < 0 || m.data_page_offset < 0)
    throw Error("column metadata: negative size or offset");
  return m;
}

RowGroup ReadRowGroup(ThriftReader& t) {
  RowGroup g;
  t.BeginStruct();
  ThriftField f;
  while (t.NextField(f)) {
    if (f.id == 1) {
      ThriftList l = t.List();
      for (uint32_t i = 0; i < l.size; ++i) {
        t.BeginStruct();  // ColumnChunk
        ThriftField cf;
        bool has_meta = false;
        while (t.NextField(cf)) {
          if (cf.id == 1) throw Error("column chunks in other files (file_path) are not supported");
          if (cf.id == 3) {
            g.columns.push_back(ReadColumnMetaData(t));
            has_meta = true;
          } else {
            t.Skip(cf.type);
          }
        }
        if (!has_meta) throw Error("column chunk without metadata");
      }
    } else if (f.id == 3) {
      g.num_rows = t.I64();
      if (g.num_rows < 0) throw Error("row group: negative num_rows");
    } else {
      t.Skip(f.type);
    }
  }
  return g;
}

}  // namespace

FileMetaData ParseFileMetaData(std::string_view footer) {
  ByteReader in(footer);
  ThriftReader t(in);
  FileMetaData md;
  t.BeginStruct();
  ThriftField f;
  while (t.NextField(f)) {
    switch (f.id) {
      case 2: {
        ThriftList l = t.List();
        for (uint32_t i = 0; i < l.size; ++i) md.schema.push_back(ReadSchemaElement(t));
        break;
      }
      case 3: md.num_rows = t.I64(); break;
      case 4: {
        ThriftList l = t.List();
        for (uint32_t i = 0; i < l.size; ++i) md.row_groups.push_back(ReadRowGroup(t));
        break;
      }
      default: t.Skip(f.type);
    }
  }
  if (md.schema.empty()) throw Error("footer has no schema");
  return md;
}

PageHeader ParsePageHeader(ByteReader& in) {
  ThriftReader t(in);
  PageHeader h;
  t.BeginStruct();
  ThriftField f;
  auto read_data_header = [&](bool v2) {
    t.BeginStruct();
    ThriftField df;
    while (t.NextField(df)) {
      if (df.id == 1) h.num_values = t.I32();
      else if (!v2 && df.id == 2) h.encoding = EnumField<Encoding>(t, 9, "encoding");
      else if (v2 && df.id == 4) h.encoding = EnumField<Encoding>(t, 9, "encoding");
      else if (v2 && df.id == 5) h.def_levels_bytes = t.I32();
      else if (v2 && df.id == 6) h.rep_levels_bytes = t.I32();
      else if (v2 && df.id == 7) h.v2_values_compressed = t.Bool(df);
      else t.Skip(df.type);
    }
  };
  while (t.NextField(f)) {
    switch (f.id) {
      case 1: h.type = EnumField<PageType>(t, 3, "page type"); break;
      case 2: h.uncompressed_size = t.I32(); break;
      case 3: h.compressed_size = t.I32(); break;
      case 5: read_data_header(false); break;
      case 7: read_data_header(false); break;  // DictionaryPageHeader: 1 num_values, 2 encoding
      case 8: read_data_header(true); break;
      default: t.Skip(f.type);
    }
  }
  if (h.uncompressed_size < 0 || h.compressed_size < 0 || h.num_values < 0 || h.def_levels_bytes < 0 ||
      h.rep_levels_bytes < 0)
    throw Error("page header: negative size or count");
  return h;
}

}  // namespace bhasa::tasks::parquet
