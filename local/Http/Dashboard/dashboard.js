// The jobs dashboard: a page of the host that shows what the HTTP API shows, live. Every piece of data comes from
// /api/jobs under the API's own access rules; a refused call (401) asks for a key, which stays in this tab's
// session storage and travels only as the x-api-key header, never in a URL. Data is written with textContent only.
'use strict';

const KeyStorage = 'vace.apiKey';
const PollMilliseconds = 2000;
const Ended = new Set(['Completed', 'Failed', 'Terminated', 'Rejected']);

const $ = id => document.getElementById(id);

/** Bumped on every navigation: a poll of a page no longer shown stops instead of drawing. */
let generation = 0;

/** The continuation token of the list's page shown; null for the first page. */
let pageToken = null;

class KeyNeeded extends Error {}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = sessionStorage.getItem(KeyStorage);
  if (key) {
    headers['x-api-key'] = key;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body, cache: 'no-store' });
  if (response.status === 401) {
    askForKey(key ? 'The host refused that key.' : 'This host needs an API key.');
    throw new KeyNeeded();
  }
  $('key-form').hidden = true;
  return response;
}

async function problemOf(response) {
  try {
    const problem = await response.json();
    return problem.title || problem.message || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

function askForKey(reason) {
  $('key-reason').textContent = reason;
  $('key-form').hidden = false;
  $('key-input').focus();
}

function showProblem(message) {
  $('problem').textContent = message || '';
  $('problem').hidden = !message;
}

function utc(value) {
  return value ? new Date(value).toISOString().replace('T', ' ').slice(0, 19) : '';
}

function seconds(from, to) {
  return ((new Date(to) - new Date(from)) / 1000).toFixed(1) + ' s';
}

function element(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  for (const [name, value] of Object.entries(attributes || {})) {
    node.setAttribute(name, value);
  }
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.append(cell instanceof Node ? cell : document.createTextNode(cell ?? ''));
    tr.append(td);
  }
  return tr;
}

function badge(outcome) {
  return element('span', outcome, { class: 'outcome ' + String(outcome).toLowerCase() });
}

/** Runs draw() now and every PollMilliseconds while the page it belongs to is shown, draw() returns true and the API admits the caller. */
function poll(draw) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) {
      return;
    }
    let again = true;
    try {
      again = await draw(() => mine === generation);
      if (mine === generation) {
        showProblem('');
      }
    } catch (error) {
      // Refused: asking again every 2 s would only fill the host's log; a key given restarts the page's polling.
      again = !(error instanceof KeyNeeded);
      if (again && mine === generation) {
        showProblem('The host could not be reached: ' + error.message);
      }
    }
    if (again && mine === generation) {
      setTimeout(tick, PollMilliseconds);
    }
  };
  tick();
}

function listQuery() {
  const query = new URLSearchParams({ top: '50' });
  if ($('filter-outcome').value) {
    query.set('status', $('filter-outcome').value);
  }
  if ($('filter-function').value) {
    query.set('function', $('filter-function').value);
  }
  if (pageToken) {
    query.set('continuationToken', pageToken);
  }
  return query;
}

async function drawList(current) {
  const response = await api('GET', '/api/jobs?' + listQuery());
  if (!response.ok) {
    showProblem(await problemOf(response));
    return true;
  }
  const jobs = await response.json();
  const next = response.headers.get('X-Continuation-Token');
  if (!current()) {
    return false;
  }
  const body = $('jobs').tBodies[0];
  body.replaceChildren(...jobs.map(job => {
    const tr = row([element('a', job.id, { href: '#/jobs/' + encodeURIComponent(job.id) }), job.function, badge(job.outcome), utc(job.createdAt), utc(job.lastUpdatedAt)]);
    tr.dataset.jobId = job.id;
    tr.dataset.outcome = job.outcome;
    return tr;
  }));
  $('jobs-empty').hidden = jobs.length > 0;
  const nextButton = $('next-page');
  nextButton.hidden = !next;
  nextButton.dataset.token = next || '';
  $('first-page').hidden = pageToken === null;
  return true;
}

function showList() {
  $('job-view').hidden = true;
  $('list-view').hidden = false;
  document.title = 'VaceFunctions jobs';
  poll(drawList);
}

function summaryOf(view) {
  const progress = view.progress || {};
  const result = view.result || {};
  return [
    ['Outcome', badge(view.outcome), 'job-outcome'],
    ['Function', view.function],
    ['Runtime status', view.runtimeStatus],
    ['Created', utc(view.createdAt)],
    ['Updated', utc(view.lastUpdatedAt)],
    ['Phase', progress.phase, 'job-phase'],
    ['DashScope task', result.taskId || progress.taskId],
    ['Task status', result.taskStatus || progress.taskStatus, 'job-task-status'],
    ['Polls', progress.pollCount ? `${progress.pollCount}, last ${utc(progress.lastPolledAt)}` : null, 'job-polls'],
    ['Place in line', progress.queuePosition ?? null],
    ['Outage', progress.outage ? `${progress.outage} (since ${utc(progress.outageSince)})` : null],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
}

function drawSummary(view) {
  const list = $('job-summary');
  list.replaceChildren();
  for (const [name, value, id] of summaryOf(view)) {
    const dd = element('dd', value instanceof Node ? null : value, id ? { id } : {});
    if (value instanceof Node) {
      dd.append(value);
    }
    list.append(element('dt', name), dd);
  }
}

function drawTimeline(view) {
  const progress = view.progress || {};
  const phases = Object.entries(progress.phases || {}).sort(([, a], [, b]) => new Date(a.started) - new Date(b.started));
  const notes = name => name === 'Generating' && progress.pollCount
    ? `${progress.pollCount} polls, task ${progress.taskStatus || ''}`.trim()
    : name === 'WaitingForSlot' && progress.slotAcquiredAt ? `slot taken ${utc(progress.slotAcquiredAt)}` : '';
  const rows = phases.map(([name, timing]) => row([name, utc(timing.started), utc(timing.ended), seconds(timing.started, timing.ended), notes(name)]));
  if (progress.phase && progress.phaseStartedAt) {
    const current = row([progress.phase, utc(progress.phaseStartedAt), 'now', seconds(progress.phaseStartedAt, new Date()), notes(progress.phase)]);
    current.className = 'current';
    rows.push(current);
  } else if (progress.phase === 'Succeeded' || progress.phase === 'Failed') {
    rows.push(row([progress.phase, utc(view.lastUpdatedAt), '', '', '']));
  }
  for (const [index, tr] of rows.entries()) {
    tr.dataset.phase = tr.cells[0].textContent;
    tr.dataset.index = String(index);
  }
  $('timeline').tBodies[0].replaceChildren(...rows);
}

function drawIssues(view) {
  const result = view.result || {};
  const code = result.succeeded === false ? result.errorCode : null;
  const message = result.succeeded === false ? result.errorMessage : view.error;
  $('error-code').textContent = code || '';
  $('error-message').textContent = message || '';
  $('error-list').replaceChildren(...(view.errors || []).map(e => element('li', `${e.path}: ${e.message} [${e.code}]`)));
  $('job-error').hidden = !code && !message && !(view.errors || []).length;
  // The result's and a rejection's warnings are issues; a running job's status shows them as lines already.
  const issues = result.warnings?.length ? result.warnings : view.warnings;
  const shown = issues?.length ? issues.map(w => `${w.path}: ${w.message} [${w.code}]`) : (view.progress?.warnings || []);
  $('warning-list').replaceChildren(...shown.map(w => element('li', w)));
  $('job-warnings').hidden = shown.length === 0;
}

function drawOutput(view) {
  const result = view.result || {};
  const video = $('output-video');
  if (!view.outputUrl) {
    $('job-output').hidden = true;
    return;
  }
  // Each query mints a new URL: the video keeps the one it loaded, so playing is never interrupted by a poll.
  if (video.dataset.blob !== result.blob) {
    video.dataset.blob = result.blob;
    video.src = view.outputUrl;
  }
  const size = result.size ? `${result.size.toLocaleString('en')} bytes` : '';
  const duration = result.durationSeconds ? `${result.durationSeconds} s` : '';
  $('output-facts').textContent = [`${result.container}/${result.blob}`, size, duration, result.sha256 ? 'sha256 ' + result.sha256 : ''].filter(Boolean).join(', ');
  $('job-output').hidden = false;
}

async function drawManifest(id, current) {
  const response = await api('GET', `/api/jobs/${encodeURIComponent(id)}/manifest`);
  if (!current()) {
    return;
  }
  $('manifest').textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : 'not written yet';
  $('manifest').dataset.written = String(response.ok);
}

function showJob(id) {
  $('list-view').hidden = true;
  $('job-view').hidden = false;
  $('job-title').textContent = id;
  document.title = id + ' - VaceFunctions jobs';
  $('job-summary').replaceChildren();
  $('timeline').tBodies[0].replaceChildren();
  $('manifest').textContent = 'not written yet';
  $('manifest').dataset.written = 'false';
  $('cancel-result').textContent = '';
  $('job-output').hidden = true;
  $('job-error').hidden = true;
  $('job-warnings').hidden = true;
  const video = $('output-video');
  delete video.dataset.blob;
  video.removeAttribute('src');
  const cancel = $('cancel-job');
  cancel.dataset.jobId = id;
  cancel.hidden = true;
  poll(async current => {
    const response = await api('GET', '/api/jobs/' + encodeURIComponent(id));
    if (response.status === 404) {
      showProblem(await problemOf(response));
      return true;
    }
    const view = await response.json();
    if (!current()) {
      return false;
    }
    drawSummary(view);
    drawTimeline(view);
    drawIssues(view);
    drawOutput(view);
    cancel.hidden = Boolean(view.result) || Ended.has(view.runtimeStatus);
    if (view.result || Ended.has(view.runtimeStatus)) {
      await drawManifest(id, current);
    }
    return !Ended.has(view.runtimeStatus);
  });
}

async function cancelJob() {
  const id = $('cancel-job').dataset.jobId;
  const response = await api('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`);
  $('cancel-result').textContent = response.status === 202
    ? 'Cancel requested: the job stops at its next wait.'
    : await problemOf(response);
}

async function submitJob(event) {
  event.preventDefault();
  const result = $('new-job-result');
  result.replaceChildren();
  const response = await api('POST', '/api/jobs', $('new-job-document').value);
  const body = await response.json().catch(() => ({}));
  if (response.status === 202) {
    result.append(document.createTextNode(body.created ? 'Started ' : 'Already known: '),
      element('a', body.id, { href: '#/jobs/' + encodeURIComponent(body.id), id: 'new-job-link' }));
    return;
  }
  result.append(element('p', body.title || `HTTP ${response.status}`));
  const errors = body.errors || [];
  result.append(...errors.map(e => element('p', `${e.path}: ${e.message} [${e.code}]`, { class: 'issue' })));
}

function route() {
  generation++;
  showProblem('');
  $('forget-key').hidden = !sessionStorage.getItem(KeyStorage);
  const match = /^#\/jobs\/(.+)$/.exec(location.hash);
  if (match) {
    showJob(decodeURIComponent(match[1]));
  } else {
    showList();
  }
}

function restartList() {
  pageToken = null;
  route();
}

document.addEventListener('DOMContentLoaded', () => {
  $('key-form').addEventListener('submit', event => {
    event.preventDefault();
    sessionStorage.setItem(KeyStorage, $('key-input').value.trim());
    $('key-input').value = '';
    $('key-form').hidden = true;
    route();
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KeyStorage);
    route();
  });
  $('filter-outcome').addEventListener('change', restartList);
  $('filter-function').addEventListener('change', restartList);
  $('next-page').addEventListener('click', () => {
    pageToken = $('next-page').dataset.token;
    route();
  });
  $('first-page').addEventListener('click', restartList);
  $('cancel-job').addEventListener('click', () => cancelJob().catch(error => {
    if (!(error instanceof KeyNeeded)) {
      $('cancel-result').textContent = error.message;
    }
  }));
  $('new-job-form').addEventListener('submit', event => submitJob(event).catch(error => {
    if (!(error instanceof KeyNeeded)) {
      $('new-job-result').textContent = error.message;
    }
  }));
  window.addEventListener('hashchange', route);
  route();
});
