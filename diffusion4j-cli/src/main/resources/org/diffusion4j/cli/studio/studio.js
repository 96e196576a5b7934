// diffusion4j studio: the form, the live progress of one job (server-sent events) and this session's gallery.
'use strict';

const $ = id => document.getElementById(id);
const FIELDS = ['model', 'prompt', 'negative_prompt', 'class', 'sampler', 'steps', 'guidance', 'seed', 'n'];
let models = [];
let source = null;
let jobId = null;

async function init() {
  const response = await fetch('/api/models');
  const data = await response.json();
  models = data.models;
  for (const m of models) {
    $('model').append(new Option(`${m.name} (${m.kind}, ${m.size}×${m.size})`, m.name));
  }
  for (const s of data.samplers) {
    $('sampler').append(new Option(s, s));
  }
  $('n').max = data.limits.n;
  $('steps').max = data.limits.steps;
  $('model').addEventListener('change', () => modelChanged(true));
  $('sampler').addEventListener('change', () => { $('steps').placeholder = defaultSteps(); });
  $('form').addEventListener('submit', submit);
  $('cancel').addEventListener('click', cancel);
  $('dice').addEventListener('click', () => { $('seed').value = Math.floor(Math.random() * 2147483647); });
  modelChanged(true);
}

function model() {
  return models.find(m => m.name === $('model').value);
}

function defaultSteps() {
  const m = model();
  return $('sampler').value === 'ddpm' ? 'T' : String(m ? m.steps : 50);
}

function modelChanged(resetValues) {
  const m = model();
  if (!m) return;
  $('text-fields').hidden = m.kind !== 'text';
  $('class-fields').hidden = m.kind !== 'class';
  $('guidance-field').hidden = m.guidance === null || m.guidance === undefined;
  const classes = $('class');
  classes.replaceChildren(new Option('all, in turn', ''));
  m.classes.forEach((name, id) => classes.append(new Option(`${id} ${name}`, String(id))));
  if (resetValues) {
    $('sampler').value = m.sampler;
    $('steps').value = '';
    $('guidance').value = m.guidance ?? '';
  }
  $('steps').placeholder = defaultSteps();
  $('model-note').textContent = m.kind === 'text' ? 'text-to-image: describe the picture'
      : m.kind === 'class' ? `${m.classes.length} classes; guidance trades variety for fidelity` : 'unconditional';
}

function request() {
  const m = model();
  const body = { model: m.name, sampler: $('sampler').value };
  const integer = id => ($(id).value === '' ? undefined : Number($(id).value));
  body.seed = integer('seed');
  body.n = integer('n');
  body.steps = integer('steps');
  if (m.kind === 'text') {
    body.prompt = $('prompt').value;
    if ($('negative_prompt').value) body.negative_prompt = $('negative_prompt').value;
  }
  if (m.kind === 'class' && $('class').value !== '') body.class = $('class').value;
  if (!$('guidance-field').hidden && $('guidance').value !== '') body.guidance = Number($('guidance').value);
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

function clearErrors() {
  $('error').textContent = '';
  for (const f of FIELDS) if ($(f)) $(f).classList.remove('invalid');
}

function showError(message, field) {
  $('error').textContent = message;
  if (field && $(field)) $(field).classList.add('invalid');
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const body = request();
  let response;
  try {
    response = await fetch('/api/jobs', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    });
  } catch (e) {
    showError('the server does not answer: ' + e.message);
    return;
  }
  const data = await response.json();
  if (!response.ok) {
    showError(data.error, data.field);
    return;
  }
  follow(data.id);
}

function busy(running) {
  $('generate').disabled = running;
  $('cancel').disabled = !running;
}

function follow(id) {
  jobId = id;
  busy(true);
  $('progress').value = 0;
  $('eta').textContent = '';
  $('status').textContent = 'submitted';
  const es = new EventSource(`/api/jobs/${id}/events`);
  source = es;
  const on = (name, handler) => es.addEventListener(name, e => handler(JSON.parse(e.data)));
  on('queued', d => { $('status').textContent = d.position === 1 ? 'queued: next' : `queued: position ${d.position}`; });
  on('started', d => { $('status').textContent = `sampling ${d.images} image${d.images === 1 ? '' : 's'}`; });
  on('step', d => {
    $('progress').value = d.progress;
    const batch = d.batches > 1 ? `batch ${d.batch}/${d.batches} · ` : '';
    $('status').textContent = `${batch}step ${d.step}/${d.of}`;
    const left = d.progress > 0 ? d.elapsed * (1 - d.progress) / d.progress : 0;
    $('eta').textContent = `${Math.round(d.progress * 100)} % · ${d.elapsed.toFixed(1)} s elapsed · about ${left.toFixed(1)} s left`;
    if (d.preview) showPreview(d.preview);
  });
  on('done', d => {
    end(es);
    $('progress').value = 1;
    $('status').textContent = `done: ${d.images.length} image${d.images.length === 1 ? '' : 's'} in ${d.seconds.toFixed(1)} s`;
    $('eta').textContent = '';
    showPreview(d.images[0]);
    addResult(d);
  });
  on('error', d => { end(es); $('status').textContent = 'failed'; showError(d.error); });
  on('cancelled', d => { end(es); $('status').textContent = d.reason || 'cancelled'; });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && source === es) {
      end(es);
      $('status').textContent = 'lost the connection to the server';
    }
  };
}

function end(es) {
  es.close();
  if (source === es) {
    source = null;
    jobId = null;
    busy(false);
  }
}

function showPreview(src) {
  $('preview').src = src;
  $('preview').hidden = false;
}

async function cancel() {
  if (!jobId) return;
  $('status').textContent = 'cancelling…';
  await fetch(`/api/jobs/${jobId}`, { method: 'DELETE' });
}

function describe(s) {
  const parts = [s.model];
  if (s.prompt !== undefined) parts.push(`"${s.prompt}"` + (s.negative_prompt ? ` not "${s.negative_prompt}"` : ''));
  if (s.class !== undefined) parts.push(`class ${s.class_name ?? s.class}`);
  parts.push(`${s.sampler} ${s.steps} steps`);
  if (s.guidance !== undefined) parts.push(`w ${s.guidance}`);
  parts.push(`seed ${s.seed}`, `n ${s.n}`);
  return parts.join(' · ');
}

function addResult(d) {
  $('empty')?.remove();
  const card = document.createElement('div');
  card.className = 'result';
  const images = document.createElement('div');
  images.className = 'images';
  d.images.forEach((url, i) => {
    const figure = document.createElement('figure');
    const img = document.createElement('img');
    img.src = url;
    img.alt = `image ${i} of ${describe(d.settings)}`;
    const link = document.createElement('a');
    link.href = url;
    link.download = url.split('/').pop();
    link.textContent = 'download';
    figure.append(img, link);
    images.append(figure);
  });
  const settings = document.createElement('div');
  settings.className = 'settings';
  settings.textContent = `${describe(d.settings)} · ${d.seconds.toFixed(1)} s`;
  const again = document.createElement('button');
  again.type = 'button';
  again.textContent = 'use these settings again';
  again.addEventListener('click', () => useAgain(d.settings));
  card.append(images, settings, again);
  $('gallery').prepend(card);
}

function useAgain(s) {
  if (!models.some(m => m.name === s.model)) return;
  $('model').value = s.model;
  modelChanged(false);
  $('sampler').value = s.sampler;
  $('steps').value = s.steps;
  $('seed').value = s.seed;
  $('n').value = s.n;
  $('guidance').value = s.guidance ?? '';
  $('prompt').value = s.prompt ?? '';
  $('negative_prompt').value = s.negative_prompt ?? '';
  const c = s.class === undefined || s.class === 'all' ? '' : s.class;
  $('class').value = [...$('class').options].some(o => o.value === c) ? c : '';
  clearErrors();
  window.scrollTo(0, 0);
}

init().catch(e => showError('could not load the models: ' + e.message));
