import{h as e}from"./util-BmEo8YeI.js";async function s(){return(await e("/my/activities")).items??[]}function a(t){return t.my_signups.find(i=>i.status!=="cancelled")}export{a as l,s as m};
