<?xml version="1.0" encoding="utf-8"?>
<!--
  Renders the site's RSS 2.0 and Atom feeds as a readable page when someone
  opens a feed address in a browser: what a feed is, how to subscribe, and
  the latest entries. Feed readers ignore this stylesheet.

  Entries are shown by title, date and author only: their HTML bodies are
  never injected (disable-output-escaping is unsupported in some browsers
  and would bypass escaping). Styles are inline so the page works at any
  feed path and loads nothing else.
-->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">

  <xsl:output method="html" encoding="utf-8" indent="yes"
    doctype-system="about:legacy-compat"/>

  <xsl:variable name="is-atom" select="boolean(/atom:feed)"/>
  <xsl:variable name="title">
    <xsl:choose>
      <xsl:when test="$is-atom"><xsl:value-of select="/atom:feed/atom:title"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="/rss/channel/title"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="subtitle">
    <xsl:choose>
      <xsl:when test="$is-atom"><xsl:value-of select="/atom:feed/atom:subtitle"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="/rss/channel/description"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="self">
    <xsl:choose>
      <xsl:when test="$is-atom"><xsl:value-of select="/atom:feed/atom:link[@rel='self']/@href"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="/rss/channel/atom:link[@rel='self']/@href"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="home">
    <xsl:choose>
      <xsl:when test="$is-atom"><xsl:value-of select="/atom:feed/atom:link[@rel='alternate'][1]/@href"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="/rss/channel/link"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <!-- The site's root, for the icon and the subscribe page. Not $home: a
       section's feed (the digest's) links back to its section. The feed
       names this file in its xml-stylesheet instruction as
       {SITEURL}/theme/feed.xsl (plugins/chapter/feeds.py), so the root is
       what comes before theme/feed.xsl there. -->
  <xsl:variable name="stylesheet-href"
    select="substring-after(/processing-instruction('xml-stylesheet'), 'href=&quot;')"/>
  <xsl:variable name="site">
    <xsl:choose>
      <xsl:when test="contains($stylesheet-href, 'theme/feed.xsl&quot;')">
        <xsl:value-of select="substring-before($stylesheet-href, 'theme/feed.xsl&quot;')"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$home"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="$title"/> (web feed)</title>
        <link rel="icon" type="image/svg+xml" href="{$site}theme/favicon.svg"/>
        <style>
          :root { --bg: #fbf9f4; --surface: #fff; --text: #1f1c18; --muted: #57514a; --rule: #ddd6ca; --accent: #a1251b; --focus: #1a56db; }
          @media (prefers-color-scheme: dark) {
            :root { --bg: #161513; --surface: #201e1b; --text: #ece7df; --muted: #b5ada1; --rule: #3b3731; --accent: #ff9580; --focus: #ffd35c; }
          }
          body { margin: 0; background: var(--bg); color: var(--text); font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
          main { max-width: 42rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
          a { color: var(--accent); }
          :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
          .notice { background: var(--surface); border: 1px solid var(--rule); border-top: 6px solid var(--accent); border-radius: 6px; padding: 1rem 1.25rem; }
          .notice h1 { margin: 0 0 0.5rem; font-size: 1.6rem; line-height: 1.2; }
          code { display: block; padding: 0.5rem 0.75rem; background: var(--bg); border: 1px solid var(--rule); border-radius: 4px; overflow-wrap: anywhere; font-size: 0.95rem; }
          h2 { font-size: 1.1rem; margin-top: 2rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
          ol { list-style: none; padding: 0; }
          li { padding: 0.6rem 0; border-bottom: 1px solid var(--rule); }
          .meta { color: var(--muted); font-size: 0.92rem; }
        </style>
      </head>
      <body>
        <main>
          <section class="notice" aria-labelledby="feed-title">
            <p class="meta">This is a web feed</p>
            <h1 id="feed-title"><xsl:value-of select="$title"/></h1>
            <xsl:if test="normalize-space($subtitle)">
              <p><xsl:value-of select="$subtitle"/></p>
            </xsl:if>
            <p>A feed lets a feed reader tell you when something new is published here, without an account or an email address.
              To subscribe, copy this page's address into your feed reader's “add feed” box:</p>
            <code><xsl:value-of select="$self"/></code>
            <p>
              <xsl:if test="normalize-space($home)">
                <a href="{$home}">Back to the website</a> ·
              </xsl:if>
              <a href="{$site}subscribe/">Every feed the site publishes</a>
            </p>
          </section>
          <h2>Latest entries</h2>
          <ol>
            <xsl:choose>
              <xsl:when test="$is-atom">
                <xsl:for-each select="/atom:feed/atom:entry">
                  <li>
                    <a href="{atom:link[@rel='alternate'][1]/@href}"><xsl:value-of select="atom:title"/></a>
                    <div class="meta">
                      <xsl:value-of select="substring(atom:published, 1, 10)"/>
                      <xsl:if test="atom:author/atom:name"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if>
                    </div>
                  </li>
                </xsl:for-each>
              </xsl:when>
              <xsl:otherwise>
                <xsl:for-each select="/rss/channel/item">
                  <li>
                    <a href="{link}"><xsl:value-of select="title"/></a>
                    <div class="meta">
                      <xsl:value-of select="substring(pubDate, 1, 16)"/>
                      <xsl:if test="author or *[local-name()='creator']"> · <xsl:value-of select="(author | *[local-name()='creator'])[1]"/></xsl:if>
                    </div>
                  </li>
                </xsl:for-each>
              </xsl:otherwise>
            </xsl:choose>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
