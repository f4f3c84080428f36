// Writes the parquet test fixtures with arrow-rs (through parquet-wasm), and,
// beside each file, the rows that the same library reads back, as JSON.
// Usage: NODE_PATH=<node_modules with parquet-wasm, apache-arrow> node generate.cjs OUT_DIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const arrow = require('apache-arrow');
const { pathToFileURL } = require('node:url');

const out = process.argv[2];
if (!out) throw new Error('usage: node generate.cjs OUT_DIR');
fs.mkdirSync(out, { recursive: true });
let pq;  // parquet-wasm's ES module build, initialised from its .wasm file

async function loadParquetWasm() {
  const js = require.resolve('parquet-wasm/esm');
  pq = await import(pathToFileURL(js).href);
  pq.initSync({ module: fs.readFileSync(path.join(path.dirname(js), 'parquet_wasm_bg.wasm')) });
}

const field = (name, type, nullable = true) => new arrow.Field(name, type, nullable);
const listOf = (type) => new arrow.List(field('item', type));
const structOf = (...fields) => new arrow.Struct(fields);

// ---- Row data (deterministic) ----

function flatRows(n) {
  const rows = [];
  for (let i = 0; i < n; ++i) {
    rows.push({
      b: i % 7 === 3 ? null : i % 3 === 0,
      i32: i % 11 === 5 ? null : (i * 7919) % 2001 - 1000,
      i64: i % 13 === 2 ? null : BigInt(i) * 4294967311n - 1000000n,
      f32: i % 9 === 4 ? null : (i % 50) * 0.25 - 3,
      f64: i % 10 === 6 ? null : i * 1.0e-3 + 0.5,
      s: i % 8 === 1 ? null : `row ${i % 40} ข้อความ ${'x'.repeat(i % 5)}`,
    });
  }
  return rows;
}

const flatSchema = [
  field('b', new arrow.Bool()), field('i32', new arrow.Int32()), field('i64', new arrow.Int64()),
  field('f32', new arrow.Float32()), field('f64', new arrow.Float64()), field('s', new arrow.Utf8()),
];

function nestedRows(n) {
  const rows = [];
  for (let i = 0; i < n; ++i) {
    const k = i % 6;
    rows.push({
      ints: k === 0 ? null : k === 1 ? [] : Array.from({ length: k }, (_, j) => (j === 1 && i % 4 === 0 ? null : i + j)),
      words: i % 5 === 0 ? null : Array.from({ length: i % 4 }, (_, j) => (j === 2 ? null : `w${i}-${j}`)),
      point: i % 7 === 0 ? null : { x: i % 3 === 0 ? null : BigInt(i) * 1000003n, label: `p${i}` },
      prompts: i % 9 === 0 ? null : Array.from({ length: (i % 3) + (i % 9 === 1 ? 0 : 1) },
        (_, j) => (j === 1 && i % 5 === 0 ? null : { text: j === 2 && i % 2 ? null : `prompt ${i}.${j}` })),
      tags: i % 8 === 0 ? null : new Map(Array.from({ length: i % 3 }, (_, j) => [`k${j}`, j === 1 ? null : i * j])),
      grid: i % 10 === 0 ? null : Array.from({ length: i % 3 }, (_, j) => (j === 1 && i % 4 === 1 ? null : Array.from({ length: j + 1 }, (_, m) => i * 10 + m))),
      meta: i % 12 === 0 ? null : { lang: i % 2 ? 'th' : 'id', refs: i % 4 === 0 ? null : [`r${i}`], inner: { depth: i % 5 } },
    });
  }
  return rows;
}

const nestedSchema = [
  field('ints', listOf(new arrow.Int32())),
  field('words', listOf(new arrow.Utf8())),
  field('point', structOf(field('x', new arrow.Int64()), field('label', new arrow.Utf8()))),
  field('prompts', listOf(structOf(field('text', new arrow.Utf8())))),
  field('tags', new arrow.Map_(field('entries', structOf(field('key', new arrow.Utf8(), false), field('value', new arrow.Int32())), false))),
  field('grid', listOf(listOf(new arrow.Int32()))),
  field('meta', structOf(field('lang', new arrow.Utf8()), field('refs', listOf(new arrow.Utf8())),
    field('inner', structOf(field('depth', new arrow.Int32()))))),
];

// SEA-HELM's row shape (SPEC 4.2): id, label, prompts[{text}], metadata{language}.
const kLabels = { id: ['Positif', 'Negatif', 'Netral'], th: ['แง่บวก', 'แง่ลบ', 'เฉยๆ'] };

function seahelmRows(n, lang) {
  const labels = kLabels[lang];
  const rows = [];
  for (let i = 0; i < n; ++i) {
    rows.push({
      id: `${lang}-${i}`,
      label: labels[i % 3],
      prompts: [{ text: `Kalimat nomor ${i}: layanan ini ${i % 2 ? 'bagus' : 'buruk'} sekali.` }],
      metadata: { language: lang },
    });
  }
  return rows;
}

const seahelmSchema = [
  field('id', new arrow.Utf8()), field('label', new arrow.Utf8()),
  field('prompts', listOf(structOf(field('text', new arrow.Utf8())))),
  field('metadata', structOf(field('language', new arrow.Utf8()))),
];

// ---- Writing and reading back ----

function makeTable(schemaFields, rows) {
  const schema = new arrow.Schema(schemaFields);
  const cols = {};
  for (const f of schemaFields) cols[f.name] = arrow.vectorFromArray(rows.map((r) => r[f.name]), f.type);
  return new arrow.Table(schema, cols);
}

function writeProps(o) {
  let b = new pq.WriterPropertiesBuilder()
    .setWriterVersion(o.version === 2 ? pq.WriterVersion.V2 : pq.WriterVersion.V1)
    .setCompression(pq.Compression[o.compression ?? 'UNCOMPRESSED'])
    .setDictionaryEnabled(o.dictionary ?? false)
    .setStatisticsEnabled(pq.EnabledStatistics.Chunk);
  if (o.rowGroup) b = b.setMaxRowGroupSize(o.rowGroup);
  if (o.pageBytes) b = b.setDataPageSizeLimit(o.pageBytes).setWriteBatchSize(64);
  for (const [col, enc] of Object.entries(o.encodings ?? {})) b = b.setColumnEncoding(col, pq.Encoding[enc]);
  return b.build();
}

// Arrow value → the JSON value `datasets` gives (maps: a list of [key, value]
// pairs, as pyarrow's as_py does).
function toJson(value, type) {
  if (value === null || value === undefined) return null;
  if (arrow.DataType.isMap(type)) {
    const [kf, vf] = type.children[0].type.children;
    const pairs = [];
    for (const [k, v] of value) pairs.push([toJson(k, kf.type), toJson(v, vf.type)]);
    return pairs;
  }
  if (arrow.DataType.isList(type)) return Array.from(value, (v) => toJson(v, type.children[0].type));
  if (arrow.DataType.isStruct(type)) {
    const o = {};
    for (const f of type.children) o[f.name] = toJson(value[f.name], f.type);
    return o;
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function readBack(bytes) {
  const table = arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream());
  const rows = [];
  for (let i = 0; i < table.numRows; ++i) {
    const o = {};
    for (const f of table.schema.fields) o[f.name] = toJson(table.getChild(f.name).get(i), f.type);
    rows.push(o);
  }
  return rows;
}

const manifest = [];
function write(relPath, schemaFields, rows, opts) {
  const ipc = arrow.tableToIPC(makeTable(schemaFields, rows), 'stream');
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(ipc), writeProps(opts));
  const file = path.join(out, relPath);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  if (opts.expected !== false) fs.writeFileSync(file + '.expected.json', JSON.stringify(readBack(bytes)));
  manifest.push({ file: relPath, ...opts });
}

async function main() {
  await loadParquetWasm();
  // Every compression × page version × dictionary on/off, flat and nested.
  for (const compression of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD']) {
    for (const version of [1, 2]) {
      for (const dictionary of [false, true]) {
        const tag = `${compression.toLowerCase()}_v${version}${dictionary ? '_dict' : ''}`;
        write(`flat_${tag}.parquet`, flatSchema, flatRows(300), { compression, version, dictionary, rowGroup: 128, pageBytes: 512 });
        write(`nested_${tag}.parquet`, nestedSchema, nestedRows(200), { compression, version, dictionary, rowGroup: 90, pageBytes: 256 });
      }
    }
  }
  // The delta encodings (and RLE booleans), with and without page v2.
  for (const version of [1, 2]) {
    write(`flat_delta_v${version}.parquet`, flatSchema, flatRows(1000), {
      compression: 'ZSTD', version, rowGroup: 600, pageBytes: 1024,
      encodings: { i32: 'DELTA_BINARY_PACKED', i64: 'DELTA_BINARY_PACKED', s: 'DELTA_LENGTH_BYTE_ARRAY', b: 'RLE' },
    });
    write(`flat_delta_prefix_v${version}.parquet`, flatSchema, flatRows(1000), {
      compression: 'SNAPPY', version, encodings: { s: 'DELTA_BYTE_ARRAY', i64: 'DELTA_BINARY_PACKED' },
    });
    write(`nested_delta_v${version}.parquet`, nestedSchema, nestedRows(300), {
      compression: 'GZIP', version, encodings: { 'ints.list.item': 'DELTA_BINARY_PACKED', 'words.list.item': 'DELTA_BYTE_ARRAY' },
    });
  }

  // Row groups of several thousand rows: the reader assembles them in parallel blocks.
  write('nested_big_row_group.parquet', nestedSchema, nestedRows(7000), { compression: 'ZSTD', version: 2, dictionary: true, rowGroup: 7000 });
  write('flat_big_row_group.parquet', flatSchema, flatRows(9000), { compression: 'SNAPPY', version: 1, rowGroup: 5000 });

  // A SEA-HELM-shaped dataset in the Hugging Face hub cache layout.
  const revision = '0123456789abcdef0123456789abcdef01234567';
  const snap = `hub/datasets--aisingapore--NLU-Sentiment-Analysis/snapshots/${revision}`;
  for (const lang of ['id', 'th']) {
    write(`${snap}/${lang}/eval-00000-of-00002.parquet`, seahelmSchema, seahelmRows(30, lang), { compression: 'ZSTD', version: 1, dictionary: true });
    write(`${snap}/${lang}/eval-00001-of-00002.parquet`, seahelmSchema, seahelmRows(45, lang).slice(30), { compression: 'ZSTD', version: 1, dictionary: true });
    write(`${snap}/${lang}/examples-00000-of-00001.parquet`, seahelmSchema, seahelmRows(5, lang).map((r) => ({ ...r, id: `ex-${r.id}` })), { compression: 'SNAPPY', version: 2 });
  }
  fs.mkdirSync(path.join(out, 'hub/datasets--aisingapore--NLU-Sentiment-Analysis/refs'), { recursive: true });
  fs.writeFileSync(path.join(out, 'hub/datasets--aisingapore--NLU-Sentiment-Analysis/refs/main'), revision);

  // The benchmark file: 100k SEA-HELM rows, zstd.
  write('bench/seahelm_100k.parquet', seahelmSchema, seahelmRows(100000, 'id'), { compression: 'ZSTD', version: 1, dictionary: true, expected: false });

  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  console.log(`wrote ${manifest.length} parquet files to ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
