// The photo console: shows, uploads and deletes a user's profile photo through the service's
// HTTP API, from this page's own origin (so every call is a CORS request with a preflight).
// Plain ES module, no dependencies; the token is kept in the form field only.

const SIZE_ID = /^(\d+)x(\d+)$/;
const element = (id) => document.getElementById(id);

/** A failed call: what the service said (Graph's error body) or why it could not be asked. */
class CallError extends Error {
  constructor({ status, code, message, requestId }) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

let shownUrls = [];

function connection() {
  const base = element("base-url").value.trim().replace(/\/+$/, "");
  const token = element("token").value.trim().replace(/^Bearer\s+/i, "");
  const user = element("user").value.trim();
  let origin;
  try {
    origin = new URL(base).origin;
  } catch {
    throw localError(`The base URL "${base}" is not a URL.`);
  }
  if (!token) throw localError("Paste a bearer token first.");
  if (!user) throw localError("Name a user: me, an object id or a userPrincipalName.");
  const path = user.toLowerCase() === "me" ? "me" : `users/${encodeURIComponent(user)}`;
  return { origin, token, user, root: `${base}/${path}` };
}

function localError(message) {
  return new CallError({ status: "not sent", code: "", message, requestId: "" });
}

async function call(target, url, init = {}) {
  let response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { Authorization: `Bearer ${target.token}`, ...init.headers },
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new CallError({
      status: "no answer",
      code: "",
      message:
        `Could not reach ${url}. Is the service running, and does its CORS allow ` +
        `${location.origin}?`,
      requestId: "",
    });
  }
  if (!response.ok) throw await answerError(response);
  return response;
}

async function answerError(response) {
  let body = null;
  try {
    body = (await response.json())?.error ?? null;
  } catch {
    // not Graph's JSON error (a plain answer from a proxy or the host): status only
  }
  return new CallError({
    status: response.status,
    code: body?.code ?? "",
    message: body?.message ?? response.statusText,
    requestId: requestId(response, body),
  });
}

/** The exposed request-id header; else the error body's, marked (CORS does not expose it). */
function requestId(response, body) {
  const header = response.headers.get("request-id");
  if (header) return header;
  const inBody = body?.innerError?.["request-id"];
  return inBody ? `${inBody} (from the error body)` : "";
}

/** Every size in the collection, following @odata.nextLink on the service's own origin. */
async function listSizes(target) {
  const sizes = [];
  let url = `${target.root}/photos`;
  while (url) {
    const page = await (await call(target, url, { headers: { Accept: "application/json" } })).json();
    for (const photo of page.value ?? []) {
      if (SIZE_ID.test(photo.id)) sizes.push(photo.id);
    }
    const next = page["@odata.nextLink"];
    url = next && new URL(next).origin === target.origin ? next : null;
  }
  return sizes.sort((a, b) => Number(SIZE_ID.exec(a)[1]) - Number(SIZE_ID.exec(b)[1]));
}

async function sizeFigure(target, id) {
  const url = `${target.root}/photos/${encodeURIComponent(id)}/$value`;
  const blob = await (await call(target, url, { headers: { Accept: "image/*" } })).blob();
  const image = new Image();
  image.src = URL.createObjectURL(blob);
  image.alt = `Profile photo of ${target.user}, ${id}`;
  image.dataset.size = id;
  shownUrls.push(image.src);
  try {
    await image.decode();
  } catch {
    throw new CallError({
      status: 200,
      code: "",
      message: `The ${id} bytes are not an image this browser can show.`,
      requestId: "",
    });
  }
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = `${id} (${blob.size.toLocaleString("en")} bytes)`;
  figure.append(image, caption);
  const item = document.createElement("li");
  item.append(figure);
  return item;
}

function clearSizes() {
  for (const url of shownUrls) URL.revokeObjectURL(url);
  shownUrls = [];
  element("sizes").replaceChildren();
}

async function show(target) {
  clearSizes(); // a failed call must not leave another user's photo on show
  const sizes = await listSizes(target);
  const items = await Promise.all(sizes.map((id) => sizeFigure(target, id)));
  element("sizes").append(...items);
  return sizes.length
    ? `Showing ${sizes.length} sizes of ${target.user}'s photo.`
    : `${target.user} has no photo.`;
}

async function upload(target) {
  const file = element("file").files[0];
  if (!file) throw localError("Choose an image file first.");
  const response = await call(target, `${target.root}/photo/$value`, {
    method: "PUT",
    headers: { "Content-Type": file.type || "application/octet-stream" },
    body: file,
  });
  const etag = response.headers.get("ETag");
  const shown = await show(target);
  return `Uploaded ${file.name}${etag ? ` (ETag ${etag})` : ""}. ${shown}`;
}

async function remove(target) {
  await call(target, `${target.root}/photo`, { method: "DELETE" });
  clearSizes();
  return `Deleted ${target.user}'s photo.`;
}

function showError(error) {
  element("error-status").textContent = String(error.status);
  element("error-code").textContent = error.code || "(none)";
  element("error-message").textContent = error.message;
  element("error-request-id").textContent = error.requestId || "(none)";
  element("error").hidden = false;
}

async function run(action, working) {
  const main = element("console");
  const buttons = main.querySelectorAll("button");
  const status = element("status");
  element("error").hidden = true;
  main.setAttribute("aria-busy", "true");
  for (const button of buttons) button.disabled = true;
  status.textContent = working;
  try {
    status.textContent = await action(connection());
  } catch (error) {
    if (!(error instanceof CallError)) throw error;
    showError(error);
    status.textContent = `Failed: ${error.code || error.status}. ${error.message}`;
  } finally {
    main.removeAttribute("aria-busy");
    for (const button of buttons) button.disabled = false;
  }
}

element("connection").addEventListener("submit", (event) => {
  event.preventDefault();
  run(show, "Loading the photo…");
});
element("upload").addEventListener("click", () => run(upload, "Uploading…"));
element("delete").addEventListener("click", () => run(remove, "Deleting…"));
