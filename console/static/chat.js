// Resident web chat: posts messages to /api/chat and renders replies; polls
// /api/chat/<id>/messages for what staff and ticket notices send outside a reply.
// All resident and bot text is inserted with textContent, never as HTML.
(function () {
  "use strict";

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");

  function randomId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function chatId() {
    var key = "jiesu-chat-id";
    var id = window.localStorage.getItem(key);
    if (!id) {
      id = randomId();
      window.localStorage.setItem(key, id);
    }
    return id;
  }

  function bubble(role, text) {
    var item = document.createElement("div");
    item.className = "msg " + role;
    var body = document.createElement("div");
    body.className = "bubble";
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function renderButtons(container, buttons, onChoose) {
    var row = document.createElement("div");
    row.className = "buttons";
    buttons.forEach(function (button) {
      var element = document.createElement("button");
      element.type = "button";
      element.className = "choice";
      element.textContent = button.title;
      element.addEventListener("click", function () { onChoose(button); });
      row.appendChild(element);
    });
    container.appendChild(row);
  }

  function renderReply(reply) {
    var item = bubble("bot", reply.text || "");
    if (reply.image && /^https?:\/\//.test(reply.image)) {
      var image = document.createElement("img");
      image.src = reply.image;
      image.alt = "图片";
      item.querySelector(".bubble").appendChild(image);
    }
    if (reply.buttons && reply.buttons.length) {
      renderButtons(item, reply.buttons, function (button) {
        send(button.payload, button.title);
      });
    }
  }

  function showRetry(payload, messageId) {
    var item = bubble("system", "网络异常，消息未送达。");
    renderButtons(item, [{ title: "重新发送" }], function () {
      item.remove();
      post(payload, messageId);
    });
  }

  // 413 (too large) and 429 (too many from this address): the server refused the message
  // and says why in `detail`; sending it again at once would be refused again.
  function refusal(response) {
    return response.json().then(function (data) {
      return data && typeof data.detail === "string" && data.detail ? data.detail : null;
    }, function () { return null; });
  }

  function post(payload, messageId) {
    sendButton.disabled = true;
    var pending = bubble("bot pending", "正在输入…");
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ chat_id: chatId(), message_id: messageId, text: payload })
    }).then(function (response) {
      if (response.status === 413 || response.status === 429) {
        return refusal(response).then(function (detail) {
          if (!detail) { throw new Error("HTTP " + response.status); }
          pending.remove();
          bubble("bot", detail);
        });
      }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json().then(function (data) {
        pending.remove();
        data.replies.forEach(renderReply);
      });
    }).catch(function () {
      pending.remove();
      showRetry(payload, messageId);
    }).finally(function () {
      sendButton.disabled = false;
      input.focus();
    });
  }

  function send(payload, shown) {
    bubble("me", shown);
    return post(payload, randomId());
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { return; }
    input.value = "";
    send(text, text);
  });

  var cursorKey = "jiesu-chat-cursor";
  var polling = false;

  function poll() {
    if (polling || document.hidden) { return; }
    polling = true;
    var cursor = window.localStorage.getItem(cursorKey);
    var url = "/api/chat/" + encodeURIComponent(chatId()) + "/messages" +
      (cursor ? "?after=" + encodeURIComponent(cursor) : "");
    fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      data.messages.forEach(renderReply);
      if (data.cursor !== null) { window.localStorage.setItem(cursorKey, String(data.cursor)); }
    }).catch(function () {
      // The next poll tries again; nothing is lost, the server keeps the messages.
    }).finally(function () { polling = false; });
  }

  window.setInterval(poll, 3000);
  document.addEventListener("visibilitychange", poll);
  poll();

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}());
