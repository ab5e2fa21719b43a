// Resident web chat: posts messages to /api/chat and renders replies; polls
// /api/chat/messages for what staff and ticket notices send outside a reply. The server
// keeps the conversation id in an HttpOnly cookie; this script never sees it. 结束对话
// (/api/chat/end) starts a new conversation, as the server does after a long silence.
// All resident and bot text is inserted with textContent, never as HTML.
(function () {
  "use strict";

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var endButton = document.getElementById("end");
  var greeting = document.getElementById("greeting").cloneNode(true);
  var cursorKey = "jiesu-chat-cursor";
  // Bumped when a conversation ends: answers to requests of the old one are dropped.
  var generation = 0;
  var ending = false;

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

  // A new conversation: nothing of the old one stays on the page.
  function restart(notice) {
    generation += 1;
    window.localStorage.removeItem(cursorKey);
    log.textContent = "";
    bubble("system", notice);
    var fresh = greeting.cloneNode(true);
    fresh.removeAttribute("id");
    log.appendChild(fresh);
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

  function showRetry(payload, messageId, shown) {
    var item = bubble("system", "网络异常，消息未送达。");
    renderButtons(item, [{ title: "重新发送" }], function () {
      item.remove();
      post(payload, messageId, shown);
    });
  }

  // 413 (too large) and 429 (too many from this address): the server refused the message
  // and says why in `detail`; sending it again at once would be refused again.
  function refusal(response) {
    return response.json().then(function (data) {
      return data && typeof data.detail === "string" && data.detail ? data.detail : null;
    }, function () { return null; });
  }

  function post(payload, messageId, shown) {
    sendButton.disabled = true;
    endButton.disabled = true;  // its answer would give back the old conversation's cookie
    var pending = bubble("bot pending", "正在输入…");
    var sentIn = generation;
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message_id: messageId, text: payload })
    }).then(function (response) {
      if (sentIn !== generation) { return; }
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
        if (data.restarted) {
          restart("由于长时间未操作，上一段对话已结束，已为您开始新的对话。");
          bubble("me", shown);
        }
        data.replies.forEach(renderReply);
      });
    }).catch(function () {
      if (sentIn !== generation) { return; }
      pending.remove();
      showRetry(payload, messageId, shown);
    }).finally(function () {
      sendButton.disabled = false;
      endButton.disabled = false;
      input.focus();
    });
  }

  function send(payload, shown) {
    if (ending) { return; }  // it would land in the conversation being ended
    bubble("me", shown);
    return post(payload, randomId(), shown);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || ending) { return; }  // kept in the box until the end is done
    input.value = "";
    send(text, text);
  });

  endButton.addEventListener("click", function () {
    endButton.disabled = true;
    sendButton.disabled = true;
    ending = true;
    fetch("/api/chat/end", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      restart("对话已结束。如需继续咨询或反映问题，请直接输入。");
    }).catch(function () {
      bubble("system", "网络异常，未能结束对话，请稍后再试。");
    }).finally(function () {
      endButton.disabled = false;
      sendButton.disabled = false;
      ending = false;
    });
  });

  var polling = false;

  function poll() {
    if (polling || document.hidden) { return; }
    polling = true;
    var polledIn = generation;
    var cursor = window.localStorage.getItem(cursorKey);
    var url = "/api/chat/messages" + (cursor ? "?after=" + encodeURIComponent(cursor) : "");
    fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      if (polledIn !== generation) { return; }
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
