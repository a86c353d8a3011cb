// A caller of the avatar worker in Node.js (amqplib), without MassTransit: it writes MassTransit's JSON envelope by hand,
// as docs/asyncapi.yaml describes it. It opens a session, waits for the H5 link, lets the simulator play the person
// (AVATAR_SIMULATED=true) or waits for a person to finish the page, reports completion, submits two assets, asks the
// worker once where the review stands (GetAvatarStatus, answered to RabbitMQ's direct reply-to) and prints the outcome.
// Exit code 0 when the submission is approved, 1 otherwise.
//
//   AMQP_URL=amqp://guest:guest@localhost:5672/avatar-demo AVATAR_SIMULATED=true node index.mjs
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import amqp from 'amqplib';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672/';
// The worker takes a command only with the AMQP user-id of the RabbitMQ user that publishes it; RabbitMQ checks that
// it names this connection's user.
const user = decodeURIComponent(new URL(url).username || 'guest');
const simulated = process.env.AVATAR_SIMULATED === 'true';
const service = process.env.AVATAR_CALLER ?? user;
const callbackUrl = process.env.AVATAR_CALLBACK_URL ?? 'https://caller.example/avatar/done';
const timeoutMs = Number(process.env.AVATAR_TIMEOUT_SECONDS ?? 180) * 1000;

const events = ['AvatarSessionCreated', 'AvatarSessionFailed', 'AvatarAuthVerified', 'AvatarAuthFailed', 'AvatarAssetsApproved', 'AvatarAssetsRejected', 'AvatarCommandRefused'];
const exchange = type => `Avatar.Contracts:${type}`;

const connection = await amqp.connect(url);
const channel = await connection.createConfirmChannel();

// Our own queue (named after the service, as the per-service users of scripts/rabbitmq-users.sh require), bound to the
// event exchanges. Each is a durable topic exchange whose routing key is the flow's owner, the user that published the
// command: binding with our own user name receives our flows' events, and RabbitMQ refuses a caller any other key.
const { queue } = await channel.assertQueue(`${service}.events-${randomUUID()}`, { exclusive: true, autoDelete: true });
for (const type of events) {
  await channel.assertExchange(exchange(type), 'topic', { durable: true });
  await channel.bindQueue(queue, exchange(type), user);
}

const waiting = [];
await channel.consume(queue, delivery => {
  const envelope = JSON.parse(delivery.content.toString('utf8'));
  const type = envelope.messageType?.[0]?.replace('urn:message:Avatar.Contracts:', '');
  for (const waiter of [...waiting]) {
    if (waiter.type.includes(type) && waiter.match(envelope.message, type)) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve({ type, message: envelope.message });
    }
  }
  channel.ack(delivery);
});

/** The first of the given events that matches, within the timeout. */
function waitFor(type, match) {
  return new Promise((resolve, reject) => {
    const waiter = { type: [type].flat(), match, resolve };
    waiting.push(waiter);
    setTimeout(() => reject(new Error(`no ${waiter.type.join(' or ')} within ${timeoutMs / 1000} s`)), timeoutMs).unref();
  });
}

/** Publishes a command (or a request) in MassTransit's envelope to its exchange, and waits for the broker's confirm. */
async function publish(type, message, messageId, request = {}) {
  await channel.assertExchange(exchange(type), 'fanout', { durable: true });
  const envelope = {
    messageId,
    conversationId: randomUUID(),
    destinationAddress: `rabbitmq://localhost/${exchange(type)}`,
    messageType: [`urn:message:${exchange(type)}`],
    message,
    sentTime: new Date().toISOString(),
    headers: {},
    host: { machineName: hostname(), processName: 'node', processId: process.pid },
    ...request.envelope,
  };
  channel.publish(exchange(type), '', Buffer.from(JSON.stringify(envelope)), {
    contentType: 'application/vnd.masstransit+json',
    messageId,
    persistent: !request.replyTo,
    userId: user,
    ...(request.replyTo && { replyTo: request.replyTo, expiration: String(request.timeoutMs) }),
  });
  await channel.waitForConfirms();
}

// Answers to our requests arrive on RabbitMQ's direct reply-to pseudo-queue: consumed without acks, on the channel
// that publishes the requests, before the first one. Each answer carries its request's requestId.
const answers = new Map();
await channel.consume('amq.rabbitmq.reply-to', delivery => {
  const envelope = JSON.parse(delivery.content.toString('utf8'));
  answers.get(envelope.requestId)?.({ type: envelope.messageType?.[0]?.replace('urn:message:Avatar.Contracts:', ''), message: envelope.message });
}, { noAck: true });

/** Asks where the flow `id` stands: AvatarStatus, or AvatarStatusNotFound for an id the worker does not know as ours. */
async function askStatus(id, requestTimeoutMs = 10_000) {
  const requestId = randomUUID();
  const answer = new Promise((resolve, reject) => {
    answers.set(requestId, resolve);
    setTimeout(() => reject(new Error(`no answer to GetAvatarStatus within ${requestTimeoutMs / 1000} s`)), requestTimeoutMs).unref();
  });
  const vhost = new URL(url).pathname.slice(1) || '%2F';
  await publish('GetAvatarStatus', { id }, randomUUID(), {
    // MassTransit answers a request whose responseAddress is the reply-to pseudo-queue to the AMQP reply-to property.
    envelope: { requestId, responseAddress: `rabbitmq://localhost/${vhost}/amq.rabbitmq.reply-to` },
    replyTo: 'amq.rabbitmq.reply-to',
    timeoutMs: requestTimeoutMs,
  });
  try {
    return await answer;
  } finally {
    answers.delete(requestId);
  }
}

/**
 * Publishes a command and waits for the first of `outcomes` for its flow (the id in `message[idField]`), or for the
 * worker's refusal of this very message (AvatarCommandRefused names the refused message's id): a refusal is never an
 * outcome of the flow.
 */
async function send(type, message, idField, outcomes) {
  const messageId = randomUUID();
  const answer = waitFor([...outcomes, 'AvatarCommandRefused'],
    (m, eventType) => eventType === 'AvatarCommandRefused' ? m.messageId === messageId : m[idField] === message[idField]);
  await publish(type, message, messageId);
  const result = await answer;
  if (result.type === 'AvatarCommandRefused') {
    throw new Error(`${type} refused: ${result.message.errorCode}: ${result.message.reason}`);
  }
  return result;
}

try {
  const sessionId = randomUUID();
  const session = await send('CreateAvatarSession', { sessionId, callbackUrl }, 'sessionId', ['AvatarSessionCreated', 'AvatarSessionFailed']);
  if (session.type !== 'AvatarSessionCreated') {
    throw new Error(`session failed: ${session.message.errorCode}: ${session.message.reason}`);
  }
  console.log(`session ${sessionId}: H5 link ${session.message.h5Link} (expires ${session.message.expiresAt})`);

  if (simulated) {
    // The simulator's H5 page: the person passes, and the browser is sent to the callback URL.
    const page = await fetch(`${session.message.h5Link}/complete?outcome=success`, { method: 'POST', redirect: 'manual' });
    console.log(`the simulated person finished the H5 page (HTTP ${page.status})`);
  } else {
    // Your own service learns this from its callback URL (or the worker's own receiver, Avatar:Callback).
    console.log('open the H5 link, finish the page, then press Enter');
    await new Promise(resolve => process.stdin.once('data', resolve));
    process.stdin.pause();
  }
  const verification = await send('AvatarAuthCompleted', { sessionId }, 'sessionId', ['AvatarAuthVerified', 'AvatarAuthFailed']);
  if (verification.type !== 'AvatarAuthVerified') {
    throw new Error(`verification failed: ${verification.message.errorCode}: ${verification.message.reason}`);
  }
  const { groupId } = verification.message;
  console.log(`verified: group ${groupId}`);

  const submissionId = randomUUID();
  const reviewed = send('SubmitAvatarAssets', {
    submissionId,
    groupId,
    assets: [
      { url: 'https://cdn.example/avatars/front.mp4', name: 'front' },
      { url: 'https://cdn.example/avatars/profile.mp4', name: 'profile' },
    ],
    assetType: 'Video',
  }, 'submissionId', ['AvatarAssetsApproved', 'AvatarAssetsRejected']);

  // While the review runs: where does it stand? (A caller that lost an event asks the same way.)
  await new Promise(resolve => setTimeout(resolve, 2000));
  const status = await askStatus(submissionId);
  if (status.type === 'AvatarStatus') {
    const { state, progress, nextCheckAt, expectedEndAt } = status.message;
    console.log(`status: ${state}, progress ${progress ?? '-'}, next check ${nextCheckAt ?? '-'}, expected end ${expectedEndAt ?? '-'}`);
  } else {
    console.log(`status: ${status.type}`);
  }

  const review = await reviewed;
  if (review.type === 'AvatarAssetsApproved') {
    console.log(`approved: ${review.message.assets.map(a => `${a.name} ${a.assetUrl}`).join(', ')}`);
  } else {
    console.log(`rejected: ${review.message.errorCode}: ${review.message.reason}`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await channel.close();
  await connection.close();
}
