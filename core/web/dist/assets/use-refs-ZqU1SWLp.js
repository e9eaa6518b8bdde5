import{a9 as f,L as o}from"./index-DAJB3JEZ.js";function c(){const s=o([]),t=[];return f(()=>{s.value=[]}),[s,e=>(t[e]||(t[e]=r=>{s.value[e]=r}),t[e])]}export{c as u};
