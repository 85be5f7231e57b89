namespace Samples.WebApi;

/// <summary>
/// The page at <c>/</c>: one HTML file with its style and script inline, no build step. Choose or drop an image; it is
/// posted to <c>/predict?pictures</c> and the page shows the label, the top-5 scores as bars, a warning when the image
/// looks unlike the training data, and the image's Sobel gradient magnitude and HOG glyphs beside it.
/// </summary>
public static class HomePage
{
    public const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Image classifier</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
          #drop { border: 2px dashed #888; border-radius: 8px; padding: 1.5rem; text-align: center; cursor: pointer; }
          #drop.over { background: #eef5ff; border-color: #36c; }
          #result { display: none; margin-top: 1.5rem; }
          #label { font-size: 1.6rem; font-weight: 600; }
          #warning { color: #a40; margin: .3rem 0; }
          .bar { display: grid; grid-template-columns: 10rem 1fr 4rem; gap: .5rem; align-items: center; margin: .25rem 0; }
          .bar .fill { background: #36c; height: .9rem; border-radius: 3px; }
          .pictures { display: flex; gap: 1rem; flex-wrap: wrap; margin-top: 1rem; }
          .pictures figure { margin: 0; text-align: center; }
          .pictures img { width: 224px; height: 224px; object-fit: contain; image-rendering: pixelated; background: #000; }
          #error { color: #b00; }
        </style>
        </head>
        <body>
        <h1>Image classifier</h1>
        <p id="model"></p>
        <label id="drop">Drop an image here, or click to choose one
          <input id="file" type="file" accept="image/*" hidden>
        </label>
        <p id="error" role="alert"></p>
        <section id="result">
          <div id="label"></div>
          <div id="warning"></div>
          <div id="bars"></div>
          <div class="pictures">
            <figure><img id="picture-input" alt="the image"><figcaption>image (as the features see it)</figcaption></figure>
            <figure><img id="picture-magnitude" alt="Sobel gradient magnitude"><figcaption>Sobel magnitude</figcaption></figure>
            <figure><img id="picture-hog" alt="HOG glyphs"><figcaption>HOG glyphs</figcaption></figure>
          </div>
        </section>
        <script>
        const $ = id => document.getElementById(id);
        fetch('model').then(r => r.json()).then(m => {
          $('model').textContent = `Model: ${m.pipeline} / ${m.trainer}, ${m.classes.length} classes` +
            (m.testAccuracy != null ? `, test accuracy ${m.testAccuracy.toFixed(3)}` : '');
        });
        async function classify(file) {
          $('error').textContent = '';
          const response = await fetch('predict?pictures', { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
          const answer = await response.json();
          if (!response.ok) { $('result').style.display = 'none'; $('error').textContent = answer.detail || answer.title; return; }
          $('label').textContent = `${answer.label} (${(answer.confidence * 100).toFixed(1)} %)`;
          $('warning').textContent = answer.outOfDistribution ? `Unlike the training images: ${answer.outOfDistribution}` : '';
          $('bars').replaceChildren(...answer.scores.slice(0, 5).map(s => {
            const row = document.createElement('div'); row.className = 'bar';
            const name = document.createElement('span'); name.className = 'name'; name.textContent = s.label;
            const track = document.createElement('div'); const fill = document.createElement('div');
            fill.className = 'fill'; fill.style.width = `${(s.score * 100).toFixed(1)}%`; track.append(fill);
            const value = document.createElement('span'); value.textContent = s.score.toFixed(3);
            row.append(name, track, value); return row;
          }));
          for (const key of ['input', 'magnitude', 'hog']) { $('picture-' + key).src = answer.pictures[key]; }
          $('result').style.display = 'block';
        }
        $('file').addEventListener('change', e => { if (e.target.files.length) classify(e.target.files[0]); });
        const drop = $('drop');
        drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
        drop.addEventListener('dragleave', () => drop.classList.remove('over'));
        drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files.length) classify(e.dataTransfer.files[0]); });
        </script>
        </body>
        </html>
        """;
}
