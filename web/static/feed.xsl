<?xml version="1.0" encoding="utf-8"?>
<!-- Shows a regwatch Atom feed as a page in a browser (feed readers ignore this file). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:a="http://www.w3.org/2005/Atom" exclude-result-prefixes="a">
  <xsl:output method="html" encoding="utf-8" indent="yes"/>
  <xsl:template match="/a:feed">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="a:title"/></title>
        <link rel="stylesheet" href="/regwatch-assets/regwatch.css"/>
        <style>
          body { font-family: system-ui, sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; }
          .feed-entry { border-bottom: 1px solid #ddd; padding: .6em 0; }
          .feed-dates { color: #666; font-size: .85em; }
          .feed-content { white-space: pre-wrap; font-size: .9em; color: #333; }
          .feed-note { background: #eef2f7; padding: .5em .8em; border-radius: 4px; }
        </style>
      </head>
      <body>
        <h1 class="feed-title"><xsl:value-of select="a:title"/></h1>
        <p class="feed-note">This is an Atom feed: copy its address into a feed reader to
          subscribe. <a href="/">regwatch home</a></p>
        <p><xsl:value-of select="a:subtitle"/></p>
        <xsl:for-each select="a:entry">
          <div class="feed-entry">
            <h2><a href="{a:link[@rel='alternate']/@href}"><xsl:value-of select="a:title"/></a></h2>
            <div class="feed-dates">
              <xsl:if test="a:published">issued <xsl:value-of select="substring(a:published, 1, 10)"/> · </xsl:if>
              seen <xsl:value-of select="substring(a:updated, 1, 10)"/>
            </div>
            <div class="feed-content"><xsl:value-of select="a:content"/></div>
          </div>
        </xsl:for-each>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
