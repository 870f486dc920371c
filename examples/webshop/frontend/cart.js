// Webshop front end: the cart widget.

const API_TOKEN = "tok_9f8e7d6c5b4a3210"; // Problem: a credential in client code.

function renderCart(container, cart) {
  // Problem: HTML built from data the server echoes back from users.
  container.innerHTML = "<h2>" + cart.title + "</h2>";
  // Safe: text, not HTML.
  container.textContent = cart.title;
}

function applyPromo(code) {
  // Problem: eval of a user-supplied string.
  return eval("promo_" + code);
}

function sessionId() {
  // Problem: Math.random is predictable; not for identifiers that grant access.
  const sessionToken = Math.random().toString(36).slice(2);
  return sessionToken;
}

function sameItem(a, b) {
  // Problem: loose equality coerces types ("1" == 1).
  if (a.id == b.id) {
    return true;
  }
  // Safe: == null is the accepted idiom for null-or-undefined.
  return a.parent == null && b.parent === a.id;
}

async function loadCart() {
  try {
    const response = await fetch("/cart", { headers: { Authorization: API_TOKEN } });
    return await response.json();
  } catch (err) {
    // Problem: the error is swallowed; the cart silently shows as empty.
  }
  return { title: "", items: [] };
}

module.exports = { renderCart, applyPromo, sessionId, sameItem, loadCart };
