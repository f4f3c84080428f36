// Drives a running `bhasa serve` with the official OpenAI JavaScript SDK:
// chat, completions, both streamed (with include_usage), models.list and
// models.retrieve, and errors raised as the SDK's typed exceptions.
// Usage: node check.cjs BASE_URL MODEL   (NODE_PATH names the SDK's node_modules)
'use strict';
const assert = require('node:assert/strict');
const sdk = require('openai');

const [baseURL, model] = process.argv.slice(2);
const client = new sdk.OpenAI({ baseURL, apiKey: 'not-checked', maxRetries: 0, timeout: 60_000 });
const messages = [{ role: 'user', content: 'Apa ibu kota Indonesia?' }];

// Concatenates a stream's text and keeps its finish reason and usage chunk.
async function collect(stream, object, textOf) {
  let text = '', finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    ++chunks;
    assert.equal(chunk.object, object);
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0, 'the usage chunk has no choices');
      usage = chunk.usage;
    }
    for (const c of chunk.choices) {
      assert.equal(usage, null, 'no choice follows the usage chunk');
      text += textOf(c) ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish, usage, chunks };
}

async function main() {
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(typeof chat.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(chat.choices[0].finish_reason));
  assert.ok(chat.usage.completion_tokens >= 1 && chat.usage.completion_tokens <= 12);

  const streamed = await collect(
    await client.chat.completions.create({
      model, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
    }),
    'chat.completion.chunk', (c) => c.delta.content);
  assert.equal(streamed.text, chat.choices[0].message.content, 'streamed chat text equals the unstreamed one');
  assert.equal(streamed.finish, chat.choices[0].finish_reason);
  assert.deepEqual(streamed.usage, chat.usage);

  const prompt = 'Selamat pagi, apa kabar';
  const cmpl = await client.completions.create({ model, prompt, max_tokens: 10, temperature: 0 });
  assert.equal(cmpl.object, 'text_completion');
  assert.equal(typeof cmpl.choices[0].text, 'string');
  const streamedCmpl = await collect(
    await client.completions.create({
      model, prompt, max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true },
    }),
    'text_completion', (c) => c.text);
  assert.equal(streamedCmpl.text, cmpl.choices[0].text, 'streamed completion text equals the unstreamed one');
  assert.deepEqual(streamedCmpl.usage, cmpl.usage);
  const noUsage = await collect(
    await client.completions.create({ model, prompt, max_tokens: 10, temperature: 0, stream: true }),
    'text_completion', (c) => c.text);
  assert.equal(noUsage.usage, null, 'no usage chunk unless asked');
  assert.equal(noUsage.text, cmpl.choices[0].text);

  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
  const card = await client.models.retrieve(model);
  assert.equal(card.id, model);
  assert.equal(card.object, 'model');
  assert.equal(card.owned_by, 'bhasa');
  assert.equal(typeof card.created, 'number');

  await assert.rejects(client.chat.completions.create({ model, messages, temperature: -1 }), (e) => {
    assert.ok(e instanceof sdk.BadRequestError, `BadRequestError expected, got ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'temperature');
    assert.equal(e.type, 'invalid_request_error');
    assert.equal(typeof e.code, 'string');
    return true;
  });
  await assert.rejects(client.completions.create({ model, prompt, max_tokens: 1, top_p: 0 }), (e) => {
    assert.ok(e instanceof sdk.BadRequestError);
    assert.equal(e.param, 'top_p');
    return true;
  });
  // Byte-level vocabulary: 5000 characters are 5000 tokens, beyond the 4096 of the test model.
  await assert.rejects(client.completions.create({ model, prompt: 'a'.repeat(5000), max_tokens: 1 }), (e) => {
    assert.ok(e instanceof sdk.BadRequestError);
    assert.equal(e.param, 'prompt');
    assert.equal(e.code, 'context_length_exceeded');
    return true;
  });
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => {
    assert.ok(e instanceof sdk.NotFoundError, `NotFoundError expected, got ${e}`);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  console.log('openai-sdk: all checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
