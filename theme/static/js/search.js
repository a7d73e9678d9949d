// The search page (theme/templates/search.html, plugins/search).
//
// Searches the Pagefind index that the build wrote into this site
// (data-bundle), in the page's language, entirely in the reader's browser:
// the index files come from this site and the query is sent nowhere.
// Everything shown comes from the index and is put on the page as text
// (textContent), except the excerpt's <mark> highlights, which are rebuilt
// element by element; links are followed only to paths on this site.

const PAGE_SIZE = 10;
const MAX_QUERY = 200;

const form = document.getElementById("search-form");
const input = document.getElementById("search-query");
const filtersBox = document.getElementById("search-filters");
const statusLine = document.getElementById("search-status");
const resultsList = document.getElementById("search-results");
const words = JSON.parse(document.getElementById("search-words").textContent);
const siteurl = form.dataset.siteurl || "";
const lang = form.dataset.lang || document.documentElement.lang;

// Filters a reader can narrow by, in the order shown; labels from the page's catalogue.
const FILTERS = [["kind", words.kind], ["group", words.group], ["year", words.year]];

let pagefind = null;
let current = null; // {results, shown}
let generation = 0; // a newer search makes an older one's answers stale

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function plural(base, count, values) {
  const form = new Intl.PluralRules(lang).select(count) === "one" ? "one" : "other";
  return fill(words[`${base}_${form}`], { count: count.toLocaleString(lang), ...values });
}

function say(text) {
  statusLine.textContent = text;
}

// Only a path on this site ("/posts/x/", "/digest/2026-10/#item-y") becomes a link.
function siteLink(path) {
  if (typeof path !== "string" || !/^\/(?![/\\])/.test(path) || /[\\\u0000-\u001f]/.test(path)) {
    return null;
  }
  try {
    const url = new URL(siteurl + path, document.baseURI);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

// Pagefind's excerpt is escaped text with <mark> around the words found:
// parsed inertly, and only its text and <mark>s are kept.
function excerptNodes(excerpt) {
  const parsed = new DOMParser().parseFromString(`<body>${excerpt || ""}</body>`, "text/html");
  const nodes = [];
  for (const node of parsed.body.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.localName === "mark") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      nodes.push(mark);
    } else {
      nodes.push(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function resultItem(data) {
  const meta = data.meta || {};
  const item = element("li", "search-result");
  const kicker = element("p", "search-result-kicker");
  kicker.append(element("span", "search-result-kind", meta.kind || ""));
  if (meta.group) {
    kicker.append(" · ", element("bdi", "search-result-group", meta.group));
  }
  item.append(kicker);

  const heading = element("h2", "search-result-title");
  const href = siteLink(meta.url);
  const title = element("bdi", "", meta.title || meta.url || "");
  if (href) {
    const link = element("a");
    link.href = href;
    link.append(title);
    heading.append(link);
  } else {
    heading.append(title);
  }
  item.append(heading);

  const details = [];
  if (meta.date) details.push(element("span", "search-result-date", meta.date));
  if (meta.source) {
    const source = element("span", "search-result-source");
    const [before, after] = words.from.split("{source}");
    source.append(before || "", element("bdi", "", meta.source), after || "");
    details.push(source);
  }
  if (meta.issue) details.push(element("span", "search-result-issue", meta.issue));
  if (details.length) {
    const line = element("p", "search-result-meta");
    details.forEach((detail, index) => {
      if (index) line.append(" · ");
      line.append(detail);
    });
    item.append(line);
  }
  const excerpt = element("p", "search-result-excerpt");
  excerpt.append(...excerptNodes(data.excerpt));
  item.append(excerpt);
  return item;
}

function chosenFilters() {
  const chosen = {};
  for (const box of filtersBox.querySelectorAll("input[type=checkbox]:checked")) {
    (chosen[box.name] ||= []).push(box.value);
  }
  return chosen;
}

async function showMore(mine) {
  const { results, shown } = current;
  const batch = await Promise.all(results.slice(shown, shown + PAGE_SIZE).map((result) => result.data()));
  if (mine !== generation) return;
  resultsList.append(...batch.map(resultItem));
  current.shown = shown + batch.length;
  const more = document.getElementById("search-more");
  if (more) more.remove();
  if (current.shown < results.length) {
    const button = element("button", "search-more", words.more);
    button.id = "search-more";
    button.type = "button";
    button.addEventListener("click", async () => {
      const before = current.shown;
      await showMore(generation);
      resultsList.children[before]?.querySelector("a")?.focus(); // keyboard users land on the first new result
    });
    resultsList.after(button);
  }
}

async function run() {
  const mine = ++generation;
  const query = input.value.trim().slice(0, MAX_QUERY);
  const filters = chosenFilters();
  const filtering = Object.keys(filters).length > 0;
  const params = new URLSearchParams(location.search);
  if (query) params.set("q", query);
  else params.delete("q");
  const asked = params.toString();
  history.replaceState(null, "", `${location.pathname}${asked ? `?${asked}` : ""}${location.hash}`);
  if (!query && !filtering) {
    resultsList.replaceChildren();
    document.getElementById("search-more")?.remove();
    say("");
    return;
  }
  // With words: best match first. Filters alone: newest first.
  const search = await pagefind.search(query || null, query ? { filters } : { filters, sort: { date: "desc" } });
  if (mine !== generation || search === null) return;
  resultsList.replaceChildren();
  document.getElementById("search-more")?.remove();
  current = { results: search.results, shown: 0 };
  const count = search.results.length;
  if (count === 0) {
    say(fill(words.none, { query }));
    return;
  }
  say(query ? plural("results", count, { query }) : plural("filtered", count, {}));
  await showMore(mine);
}

function filterFieldsets(available) {
  const sets = [];
  for (const [name, legendText] of FILTERS) {
    const values = Object.entries(available[name] || {});
    if (values.length < 2) continue; // one value narrows nothing
    if (name === "year") values.sort(([a], [b]) => b.localeCompare(a));
    else values.sort(([a], [b]) => a.localeCompare(b, lang));
    const set = element("fieldset", "search-filter");
    set.append(element("legend", "", legendText));
    for (const [value, count] of values) {
      const label = element("label", "search-filter-option");
      const box = element("input");
      box.type = "checkbox";
      box.name = name;
      box.value = value;
      label.append(box, " ", element("bdi", "", value), " ", element("span", "search-filter-count", `(${count.toLocaleString(lang)})`));
      set.append(label);
    }
    sets.push(set);
  }
  return sets;
}

// form.dataset.state: loading, ready, empty or unavailable (the browser tests wait for it).
function stop(state, message) {
  form.hidden = true;
  form.dataset.state = state;
  say(message);
}

async function start() {
  form.hidden = false;
  form.dataset.state = "loading";
  say(words.loading);
  // Absolute: import() would resolve a relative path (RELATIVE_URLS) against this script, not the page.
  const bundle = new URL(form.dataset.bundle, document.baseURI).href;
  try {
    const entry = await fetch(`${bundle}pagefind-entry.json`, { credentials: "same-origin" });
    if (entry.status === 404) {
      stop("empty", words.empty);
      return;
    }
    pagefind = await import(`${bundle}pagefind.js`);
    await pagefind.options({ excerptLength: 30 });
    await pagefind.init();
    filtersBox.replaceChildren(...filterFieldsets(await pagefind.filters()));
  } catch {
    stop("unavailable", words.unavailable);
    return;
  }
  say("");
  let typing = null; // the search typing will start, unless Enter starts it first
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    run();
  });
  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(run, 250);
  });
  filtersBox.addEventListener("change", run);
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked.slice(0, MAX_QUERY);
    await run();
  }
  form.dataset.state = "ready";
}

start();
