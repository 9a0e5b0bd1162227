// Saves text the page built (CSV exports) as a file, through a Blob URL: nothing goes to the server.

/** Starts a download of `text` named `filename`; the Blob URL is revoked once the click has been handled. */
export function downloadText(filename: string, text: string, mime = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
