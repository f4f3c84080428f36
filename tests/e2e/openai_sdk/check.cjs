// Drives a running `bhasa serve` with the official OpenAI JavaScript SDK:
// chat, completions, both streamed (with include_usage), log-probabilities
// (chat logprobs/top_logprobs, completions logprobs with echo), n > 1,
// prompt arrays, models.list and models.retrieve, and errors raised as the
// SDK's typed exceptions.
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

  // Log-probabilities: chat (plain and streamed), completions with echo.
  const lpChat = await client.chat.completions.create({
    model, messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2,
  });
  const content = lpChat.choices[0].logprobs.content;
  assert.equal(content.length, lpChat.usage.completion_tokens);
  for (const t of content) {
    assert.equal(typeof t.token, 'string');
    assert.ok(t.logprob <= 0);
    assert.ok(Array.isArray(t.bytes));
    assert.equal(t.top_logprobs.length, 2);
    assert.equal(t.top_logprobs[0].logprob, t.logprob, 'greedy: the chosen token is the most likely');
  }
  let streamedContent = [];
  for await (const chunk of await client.chat.completions.create({
    model, messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2, stream: true,
  }))
    for (const c of chunk.choices) streamedContent = streamedContent.concat(c.logprobs?.content ?? []);
  // The second request reuses the first one's cached prompt: same tokens, values to float rounding.
  assert.deepEqual(streamedContent.map((t) => t.token), content.map((t) => t.token));
  streamedContent.forEach((t, i) => assert.ok(Math.abs(t.logprob - content[i].logprob) < 1e-4, 'streamed logprobs'));
  const echo = await client.completions.create({ model, prompt, max_tokens: 3, temperature: 0, logprobs: 1, echo: true });
  const legacy = echo.choices[0].logprobs;
  assert.ok(echo.choices[0].text.startsWith(prompt), 'echo returns the prompt first');
  assert.equal(legacy.tokens.length, echo.usage.prompt_tokens + echo.usage.completion_tokens);
  assert.equal(legacy.token_logprobs[0], null, 'the first prompt token has no log-probability');
  assert.equal(legacy.token_logprobs.length, legacy.text_offset.length);
  assert.ok(legacy.token_logprobs.slice(1).every((v) => v <= 0));
  await assert.rejects(client.chat.completions.create({ model, messages, top_logprobs: 2 }), (e) => {
    assert.ok(e instanceof sdk.BadRequestError);
    assert.equal(e.param, 'top_logprobs');
    return true;
  });

  // Several choices: n (greedy: identical, as vLLM's) and prompt arrays (prompt-major).
  const nChat = await client.chat.completions.create({ model, messages, max_tokens: 4, temperature: 0, n: 2 });
  assert.deepEqual(nChat.choices.map((c) => c.index), [0, 1]);
  assert.equal(nChat.choices[1].message.content, nChat.choices[0].message.content);
  const multi = await client.completions.create({
    model, prompt: ['Halo', 'Apa kabar'], max_tokens: 3, temperature: 0, n: 2,
  });
  assert.deepEqual(multi.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(multi.choices[1].text, multi.choices[0].text);
  const single = await client.completions.create({ model, prompt: 'Apa kabar', max_tokens: 3, temperature: 0 });
  assert.equal(multi.choices[2].text, single.choices[0].text, 'each prompt of an array is answered as alone');

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
