/* The posting form on a phone (issue 20), as a progressive enhancement: without this
 * script the form is a plain multipart form and still works.
 *
 * - Photos: taken with the camera (several in a row) or picked from the gallery, turned
 *   upright from their EXIF orientation, shrunk to 2048 px on the long side and
 *   re-encoded as JPEG (quality 0.85) in the browser, then sent one by one to the
 *   upload endpoint, each with its progress; a failed one can be retried without
 *   losing the others or the typed text. The form submits the ids the server returned
 *   (hidden field `pending_photos`); the server still checks and re-encodes every photo.
 * - Category: suggested from the title's words, applied only when the agent says so.
 * - Draft: what the agent types (and the photos already sent) is saved in this
 *   browser's localStorage, per authority and user, restored on return with a notice
 *   and a « discard » button, and forgotten by the page shown after posting.
 */
(function () {
  "use strict";

  var MAX_SIDE = 2048;
  var QUALITY = 0.85;
  var THUMB_SIDE = 160;
  var PREFIX = "collectivrecup:listing-draft:";

  function readDraft(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function writeDraft(key, draft) {
    try {
      window.localStorage.setItem(key, JSON.stringify(draft));
    } catch (error) {
      /* storage full or refused: the form still works, without a saved draft */
    }
  }

  // The page shown after posting: forget the draft that was just posted (and no other).
  var posted = document.querySelector('meta[name="listing-draft-posted"]');
  if (posted) {
    var postedKey = PREFIX + posted.getAttribute("data-draft-key");
    var postedDraft = readDraft(postedKey);
    if (postedDraft && postedDraft.token === posted.getAttribute("content")) {
      window.localStorage.removeItem(postedKey);
    }
    return;
  }

  var form = document.querySelector("form[data-listing-form]");
  if (!form) {
    return;
  }

  var key = PREFIX + form.getAttribute("data-draft-key");
  var maxPhotos = parseInt(form.getAttribute("data-max-photos"), 10) || 8;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var pendingInput = form.querySelector("input[name=pending_photos]");
  var tokenInput = form.querySelector("input[name=draft_token]");
  var picker = form.querySelector("[data-photo-picker]");
  var queue = picker.querySelector("[data-photo-queue]");
  var photoError = picker.querySelector("[data-photo-error]");
  var plainPhotos = form.querySelector("input[type=file][name=photos]");
  var text = function (name) { return picker.getAttribute("data-text-" + name) || ""; };

  // Photos: the camera and gallery buttons replace the plain file field.
  if (plainPhotos) {
    plainPhotos.closest(".field").hidden = true;
  }
  picker.hidden = false;

  var items = [];  // {blob, thumb, id, state, element}

  function newToken() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  var draft = readDraft(key) || {};
  if (!draft.token) {
    draft.token = newToken();
  }
  tokenInput.value = draft.token;

  function fieldsOf() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.type === "file" || element.type === "hidden" ||
          element.type === "submit" || element.type === "button") {
        return;
      }
      values[element.name] = element.type === "checkbox" ? element.checked : element.value;
    });
    return values;
  }

  function sentPhotos() {
    return items.filter(function (item) { return item.state === "sent"; });
  }

  function updatePendingInput() {
    pendingInput.value = sentPhotos().map(function (item) { return item.id; }).join(",");
  }

  var saveTimer = null;
  function save() {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(function () {
      draft.fields = fieldsOf();
      draft.photos = sentPhotos().map(function (item) {
        return {id: item.id, thumb: item.thumb};
      });
      draft.savedAt = new Date().toISOString();
      writeDraft(key, draft);
    }, 250);
  }

  function showError(message) {
    photoError.textContent = message;
    photoError.hidden = !message;
  }

  // --- One photo in the queue --------------------------------------------------------

  function render(item) {
    var element = item.element;
    element.setAttribute("data-state", item.state);
    var status = element.querySelector(".photo-status");
    var progress = element.querySelector("progress");
    var retry = element.querySelector("[data-retry]");
    progress.hidden = item.state !== "sending";
    retry.hidden = item.state !== "failed";
    if (item.state === "preparing") {
      status.textContent = text("preparing");
    } else if (item.state === "sending") {
      status.textContent = text("sending");
    } else if (item.state === "sent") {
      status.textContent = text("sent");
    } else {
      status.textContent = text("failed") + " " + (item.error || text("offline"));
    }
  }

  function addItem(item) {
    var element = document.createElement("li");
    element.className = "photo-item";
    var image = document.createElement("img");
    image.alt = "";
    if (item.thumb) {
      image.src = item.thumb;
    }
    var body = document.createElement("div");
    body.className = "photo-body";
    var status = document.createElement("span");
    status.className = "photo-status";
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button";
    retry.setAttribute("data-retry", "");
    retry.textContent = text("retry");
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = text("remove");
    body.append(status, progress, retry, remove);
    element.append(image, body);
    queue.append(element);
    item.element = element;
    retry.addEventListener("click", function () {
      item.state = "waiting";
      render(item);
      pump();
    });
    remove.addEventListener("click", function () {
      if (item.xhr) {
        item.xhr.abort();
      }
      items.splice(items.indexOf(item), 1);
      element.remove();
      updatePendingInput();
      save();
      pump();
    });
    items.push(item);
    render(item);
    return item;
  }

  function canvasBlob(canvas, quality) {
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) { resolve(blob); }, "image/jpeg", quality);
    });
  }

  function drawn(bitmap, side) {
    var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  // Upright (EXIF orientation applied by the decoder), at most MAX_SIDE pixels on the
  // long side, JPEG. A file the browser cannot decode is sent as it is: the server
  // tells why it refuses it.
  function shrink(file) {
    if (!window.createImageBitmap) {
      return Promise.resolve({blob: file, thumb: ""});
    }
    return window.createImageBitmap(file, {imageOrientation: "from-image"})
      .then(function (bitmap) {
        var full = drawn(bitmap, MAX_SIDE);
        var thumb = drawn(bitmap, THUMB_SIDE).toDataURL("image/jpeg", 0.7);
        if (bitmap.close) {
          bitmap.close();
        }
        return canvasBlob(full, QUALITY).then(function (blob) {
          return {blob: blob || file, thumb: thumb};
        });
      })
      .catch(function () { return {blob: file, thumb: ""}; });
  }

  var sending = null;
  function pump() {
    if (sending) {
      return;
    }
    var next = items.filter(function (item) { return item.state === "waiting"; })[0];
    if (next) {
      send(next);
    }
  }

  function send(item) {
    sending = item;
    item.state = "sending";
    item.error = "";
    render(item);
    var data = new FormData();
    data.append("image", item.blob, "photo.jpg");
    var xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open("POST", form.getAttribute("data-upload-url"));
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        item.element.querySelector("progress").value =
          Math.round(100 * event.loaded / event.total);
      }
    });
    function done() {
      item.xhr = null;
      sending = null;
      render(item);
      updatePendingInput();
      save();
      pump();
    }
    xhr.addEventListener("load", function () {
      var answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = {};
      }
      if (xhr.status === 201 && answer.id) {
        item.state = "sent";
        item.id = answer.id;
      } else {
        item.state = "failed";
        item.error = answer.error || "";
      }
      done();
    });
    xhr.addEventListener("error", function () {
      item.state = "failed";
      done();
    });
    xhr.addEventListener("abort", function () {
      sending = null;
      pump();
    });
    xhr.send(data);
  }

  function take(files) {
    showError("");
    Array.prototype.forEach.call(files, function (file) {
      if (items.length >= maxPhotos) {
        showError(text("too-many"));
        return;
      }
      var item = addItem({state: "preparing", thumb: ""});
      shrink(file).then(function (result) {
        if (items.indexOf(item) < 0) {
          return;  // removed while being prepared
        }
        item.blob = result.blob;
        item.thumb = result.thumb;
        if (result.thumb) {
          item.element.querySelector("img").src = result.thumb;
        }
        item.state = "waiting";
        render(item);
        pump();
      });
    });
  }

  picker.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      take(input.files);
      input.value = "";  // the same button again for the next shot
    });
  });

  // --- Category suggested from the title -----------------------------------------------

  var title = form.querySelector("input[name=title]");
  var category = form.querySelector("select[name=category]");
  var suggestion = form.querySelector("[data-category-suggestion]");
  var suggestTimer = null;
  var suggested = null;

  function suggest() {
    var words = title.value.trim();
    if (!words || category.value) {
      suggestion.hidden = true;
      return;
    }
    var url = form.getAttribute("data-suggest-url") + "?title=" + encodeURIComponent(words);
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {id: null}; })
      .then(function (answer) {
        if (!answer.id || category.value || title.value.trim() !== words) {
          suggestion.hidden = !suggested || !!category.value;
          return;
        }
        suggested = answer;
        suggestion.querySelector("[data-suggested-name]").textContent =
          answer.family ? answer.name + " (" + answer.family + ")" : answer.name;
        suggestion.hidden = false;
      })
      .catch(function () { /* offline: no suggestion */ });
  }

  if (title && category && suggestion) {
    title.addEventListener("input", function () {
      window.clearTimeout(suggestTimer);
      suggestTimer = window.setTimeout(suggest, 350);
    });
    category.addEventListener("change", function () {
      if (category.value) {
        suggestion.hidden = true;
      }
    });
    suggestion.querySelector("[data-suggestion-use]").addEventListener("click", function () {
      if (suggested) {
        category.value = String(suggested.id);
        category.dispatchEvent(new Event("change", {bubbles: true}));
        suggestion.hidden = true;
        save();
      }
    });
  }

  // --- The draft -----------------------------------------------------------------------

  var notice = form.querySelector("[data-draft-notice]");

  function restore() {
    var bound = form.hasAttribute("data-bound");
    var hasFields = draft.fields && Object.keys(draft.fields).length;
    var photos = draft.photos || [];
    if (!hasFields && !photos.length) {
      return;
    }
    if (!bound && hasFields) {
      // A fresh form: put back what was typed (a form sent back with errors already
      // holds it).
      Object.keys(draft.fields).forEach(function (name) {
        var element = form.elements.namedItem(name);
        if (!element || element.type === "file" || element.type === "hidden") {
          return;
        }
        if (element.type === "checkbox") {
          element.checked = !!draft.fields[name];
        } else {
          element.value = draft.fields[name];
        }
      });
      var more = form.querySelector("details.more-details");
      if (more && Array.prototype.some.call(more.querySelectorAll("textarea, input[type=text]"),
                                            function (element) { return element.value; })) {
        more.open = true;
      }
    }
    photos.forEach(function (photo) {
      addItem({state: "sent", id: photo.id, thumb: photo.thumb});
    });
    updatePendingInput();
    if (!bound) {
      notice.hidden = false;
    }
  }

  restore();

  notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
    window.localStorage.removeItem(key);
    items.slice().forEach(function (item) {
      if (item.xhr) {
        item.xhr.abort();
      }
      item.element.remove();
    });
    items = [];
    updatePendingInput();
    form.reset();
    draft = {token: newToken()};
    tokenInput.value = draft.token;
    notice.hidden = true;
    suggestion.hidden = true;
  });

  form.addEventListener("input", save);
  form.addEventListener("change", save);

  form.addEventListener("submit", function (event) {
    var busy = items.some(function (item) { return item.state !== "sent"; });
    if (busy) {
      event.preventDefault();
      showError(text("wait"));
      picker.scrollIntoView({block: "center"});
      return;
    }
    updatePendingInput();
    window.clearTimeout(saveTimer);
    draft.fields = fieldsOf();
    writeDraft(key, draft);  // kept until the page after posting says it arrived
  });
})();
