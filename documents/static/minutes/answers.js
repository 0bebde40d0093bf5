// Reading the API's answers on the minutes pages: the body, or an Error whose message is in the page's
// language (the API's refusals are written "Tiếng Việt / English"; a page shows one of them).
export function oneLanguage(message) {
  const at = message.indexOf(" / ");
  if (at < 0) return message;
  const english = (document.documentElement.lang || "vi").startsWith("en");
  return english ? message.slice(at + 3) : message.slice(0, at);
}

export async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : (body.message || JSON.stringify(body.detail));
    throw new Error(oneLanguage(detail || `HTTP ${response.status}`));
  }
  return body;
}
