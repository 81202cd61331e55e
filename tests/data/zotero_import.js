// Import a file with Zotero's own import translators, as translation-server's /import does,
// and also report the collections the translator created (the /import endpoint drops them).
//
// usage (cwd = a translation-server checkout with its modules and node_modules):
//   node zotero_import.js FILE
// prints {"translator": label, "items": [Zotero API JSON + "__itemID"], "collections": [tree]}
// Nothing listens and nothing is fetched: the server's modules are loaded in-process.
'use strict';
const fs = require('fs');
const path = require('path');
const server = process.cwd();
require(path.join(server, 'src', 'zotero'));
const Debug = require(path.join(server, 'src', 'debug'));
const Translators = require(path.join(server, 'src', 'translators'));
const Translate = require(path.join(server, 'src', 'translation', 'translate'));

function tree(collection) {
	return {
		name: collection.name,
		children: (collection.children || []).map(
			(child) => (child.type === 'collection' ? tree(child) : { item: child.id })
		),
	};
}

(async () => {
	Debug.init(0);
	await Translators.init();
	const translate = new Translate.Import();
	translate.setString(fs.readFileSync(process.argv[2], 'utf8'));
	const translators = await translate.getTranslators();
	if (!translators.length) {
		process.stdout.write(JSON.stringify({ error: 'No suitable translators found' }) + '\n', () => process.exit(0));
		return;
	}
	translate.setTranslator(translators[0]);
	const items = await translate.translate({ libraryID: 1 });
	const out = [];
	for (const item of items) {
		const api = Zotero.Utilities.Item.itemToAPIJSON(item);
		api[0].__itemID = item.itemID;
		out.push(...api);
	}
	const text = JSON.stringify({
		translator: translators[0].label,
		items: out,
		collections: (translate.newCollections || []).map(tree),
	});
	// exit only once the pipe has taken all of it (process.exit would cut it at 64 KB)
	process.stdout.write(text + '\n', () => process.exit(0));
})().catch((e) => {
	console.error(String((e && e.stack) || e).split('\n')[0]);
	process.exit(1);
});
